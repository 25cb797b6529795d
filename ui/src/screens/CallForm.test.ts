import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import CallForm from './CallForm.svelte';
import { appError, fakeBackend, emitEvent, problem } from '../ipc/fake';
import type { KbSuggestion } from '../ipc';
import { app } from '../lib/app.svelte';
import { ticketRow } from '../test/fixtures';
import { runShortcut, shortcutFor } from '../lib/shortcuts';

// The app's window listener (App.svelte), so the form's shortcuts work as in the app.
window.addEventListener('keydown', (event) => {
  const action = shortcutFor(event);
  if (action) runShortcut(action);
});

const LOGGED = { ticket_id: 't9', reference: 'K7-0042' };

async function renderForm(handlers: Parameters<typeof fakeBackend>[0] = {}) {
  const backend = fakeBackend({ submit_contact: () => LOGGED, ...handlers });
  const user = userEvent.setup();
  render(CallForm);
  await waitFor(() => expect(screen.getByTestId('call-reference')).toHaveTextContent('K7-0042'));
  return { backend, user };
}

describe('CallForm', () => {
  it('shows the reference preview and a call timer at once', async () => {
    await renderForm();
    expect(screen.getByTestId('call-reference')).toHaveTextContent('read it to the caller');
    expect(screen.getByTestId('call-timer')).toHaveTextContent('00:00');
  });

  it('an empty subject shows the inline error and submits nothing', async () => {
    const { backend, user } = await renderForm();
    await user.click(screen.getByTestId('btn-solved'));

    const subject = screen.getByTestId('call-subject');
    expect(subject).toHaveAttribute('aria-invalid', 'true');
    expect(subject).toHaveAccessibleDescription('Required.');
    expect(subject).toHaveFocus();
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.callsTo('submit_contact')).toHaveLength(0);
  });

  it('keeps escalation submit disabled until reason, steps tried and handover summary are filled', async () => {
    const { backend, user } = await renderForm();
    await user.type(screen.getByTestId('call-subject'), 'VPN drops every hour');
    await user.click(screen.getByTestId('btn-escalate'));

    const dialog = screen.getByRole('dialog', { name: 'Escalate to 2nd level' });
    const submit = within(dialog).getByTestId('escalate-submit');
    expect(submit).toBeDisabled();

    await user.type(within(dialog).getByTestId('escalate-reason'), 'Needs network access');
    expect(submit).toBeDisabled();
    await user.type(within(dialog).getByTestId('escalate-steps'), 'Restarted the client');
    expect(submit).toBeDisabled();
    await user.clear(within(dialog).getByTestId('escalate-reason'));
    expect(within(dialog).getByTestId('escalate-reason')).toHaveAccessibleDescription('Required.');
    await user.type(within(dialog).getByTestId('escalate-reason'), 'Needs network access');
    await user.type(within(dialog).getByTestId('escalate-summary'), 'Customer on site until 5pm');
    expect(submit).toBeEnabled();

    await user.click(submit);
    await waitFor(() => expect(screen.getByTestId('saved-banner')).toHaveTextContent('Saved as K7-0042'));
    const [call] = backend.callsTo('submit_contact');
    expect(call.outcome).toEqual({
      type: 'escalate',
      reason: 'Needs network access',
      steps_tried: 'Restarted the client',
      handover_summary: 'Customer on site until 5pm',
    });
    expect(call.form).toMatchObject({ contact: { subject: 'VPN drops every hour', channel: 'phone', priority: 'normal' } });
    // After saving: draft discarded, form reset, next reference fetched.
    expect(backend.callsTo('discard_draft')).toContainEqual({ key: 'call-form' });
    expect(screen.getByTestId('call-subject')).toHaveValue('');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(backend.callsTo('preview_reference').length).toBeGreaterThanOrEqual(2);

    // The next call's first keystroke removes the old banner.
    await user.type(screen.getByTestId('call-subject'), 'N');
    expect(screen.queryByTestId('saved-banner')).toBeNull();
  });

  it('never shows the just-used reference as the next preview', async () => {
    let next = 42;
    const { user } = await renderForm({
      preview_reference: () => `K7-${String(next).padStart(4, '0')}`,
      submit_contact: () => ({ ticket_id: 't', reference: `K7-${String(next++).padStart(4, '0')}` }),
    });
    await user.type(screen.getByTestId('call-subject'), 'Printer');
    await user.click(screen.getByTestId('btn-solved'));
    await user.type(screen.getByTestId('solve-summary'), 'Cleared the queue');
    await user.click(screen.getByTestId('solve-submit'));
    await waitFor(() => expect(screen.getByTestId('saved-banner')).toHaveTextContent('K7-0042'));
    await waitFor(() => expect(screen.getByTestId('call-reference')).toHaveTextContent('K7-0043'));
  });

  it('mirrors a server-side validation error under its field', async () => {
    const { user } = await renderForm({
      submit_contact: () =>
        appError('validation', 'subject: is 201 characters long; at most 200 are allowed', 'subject', problem('too_long', { field: 'subject', max: '200' })),
    });
    await user.type(screen.getByTestId('call-subject'), '???');
    await user.click(screen.getByTestId('btn-solved'));
    await user.type(screen.getByTestId('solve-summary'), 'Explained the settings');
    await user.click(screen.getByTestId('solve-submit'));

    await waitFor(() =>
      expect(screen.getByTestId('call-subject')).toHaveAccessibleDescription('Subject is too long: at most 200 characters.'),
    );
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('shows KB suggestions while typing, records them, and opens an article', async () => {
    const suggestion: KbSuggestion = {
      id: 'kb1',
      title: 'Reconnect the VPN',
      snippet: [{ text: 'VPN', hit: true }],
      fit: 'strong',
      confidence: 0.9,
    };
    const { backend, user } = await renderForm({
      suggest_kb: ({ text }) => ({ suggestions: String(text).includes('VPN') ? [suggestion] : [], nothing_fits: false }),
      get_kb_article: () => ({ id: 'kb1', title: 'Reconnect the VPN', body_html: '<p>Click <b>Reconnect</b>.</p>', tags: [] }),
    });
    await user.type(screen.getByTestId('call-subject'), 'VPN');
    expect(backend.callsTo('suggest_kb').length).toBeGreaterThanOrEqual(3); // one per keystroke
    await user.click(await screen.findByTestId('kb-suggestion'));
    const article = await screen.findByTestId('kb-article');
    await waitFor(() => expect(article).toHaveTextContent('Click Reconnect.'));
    await user.click(screen.getByTestId('kb-solved-it'));

    await user.click(screen.getByTestId('btn-solved'));
    expect(screen.getByTestId('solve-summary')).toHaveValue('Reconnect the VPN');
    await user.click(screen.getByTestId('solve-submit'));
    await screen.findByTestId('saved-banner');
    const [call] = backend.callsTo('submit_contact');
    expect(call.form).toMatchObject({ suggested_kb: ['kb1'], used_kb: ['kb1'], opened_kb: ['kb1'] });
    expect(call.outcome).toEqual({ type: 'solved', summary: 'Reconnect the VPN' });
  });

  it('never lets a slow earlier suggestion reply overwrite a newer one', async () => {
    const releases: (() => void)[] = [];
    const { user } = await renderForm({
      suggest_kb: ({ text }) =>
        new Promise((resolve) => {
          const reply = { suggestions: [{ id: String(text), title: `for ${text}`, snippet: [], fit: 'possible', confidence: 0.5 }], nothing_fits: false };
          // The first request ("a") is held back and answered last.
          if (text === 'a') releases.push(() => resolve(reply));
          else resolve(reply);
        }),
    });
    await user.type(screen.getByTestId('call-subject'), 'ab');
    await waitFor(() => expect(screen.getByTestId('kb-suggestion')).toHaveTextContent('for ab'));
    releases.forEach((release) => release());
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.getAllByTestId('kb-suggestion')).toHaveLength(1);
    expect(screen.getByTestId('kb-suggestion')).toHaveTextContent('for ab');
  });

  it('saves the form as a draft while typing and restores it on start', async () => {
    const { backend, user } = await renderForm();
    await user.type(screen.getByTestId('call-subject'), 'Printer');
    await waitFor(() => {
      const saves = backend.callsTo('save_draft').filter((c) => c.key === 'call-form');
      expect(JSON.parse(String(saves.at(-1)?.body)).form.subject).toBe('Printer');
    });
    const body = String(backend.callsTo('save_draft').at(-1)?.body);

    document.body.innerHTML = '';
    fakeBackend({ load_draft: ({ key }) => (key === 'call-form' ? body : null) });
    render(CallForm);
    await waitFor(() => expect(screen.getByTestId('call-subject')).toHaveValue('Printer'));
  });

  it('an incoming call keeps the typed form as a draft and starts a fresh one for the caller', async () => {
    const { backend, user } = await renderForm({
      lookup_caller: () => ({ normalized: '+491511234567', problem: null, customers: [] }),
    });
    await user.type(screen.getByTestId('call-subject'), 'Half-typed');
    await emitEvent('open-call-form', { from: '+49 151 1234567' });

    await waitFor(() => expect(screen.getByTestId('call-caller')).toHaveValue('+49 151 1234567'));
    expect(screen.getByTestId('call-subject')).toHaveValue('');
    const kept = backend.callsTo('save_draft').find((c) => c.key === 'call-form-previous');
    expect(JSON.parse(String(kept?.body)).form.subject).toBe('Half-typed');
    await waitFor(() => expect(backend.callsTo('lookup_caller')).toContainEqual({ text: '+49 151 1234567' }));
    // "New customer" is offered, not in the way: closed, with no Tab stop; Alt+C opens it.
    const open = await screen.findByTestId('new-customer-open');
    expect(open).toHaveAttribute('tabindex', '-1');
    expect(screen.queryByTestId('new-customer-name')).toBeNull();
    await user.keyboard('{Alt>}c{/Alt}');
    expect(await screen.findByTestId('new-customer-name')).toHaveFocus();
  });

  it('offers the caller’s open ticket and logs the call there with Alt+T', async () => {
    const open = ticketRow(1, { id: 't1', reference: 'K7-0001', subject: 'Printer offline' });
    const customer = {
      id: 'c1', name: 'Max Muster', company: null, phones: ['+491511234567'], emails: [],
      likely_duplicate: false, open_tickets: [open], recent_tickets: [],
    };
    const { backend, user } = await renderForm({
      lookup_caller: () => ({ normalized: '+491511234567', problem: null, customers: [customer], open_tickets: [] }),
      submit_repeat_contact: () => ({ ticket_id: 't1', reference: 'K7-0001' }),
    });
    await user.type(screen.getByTestId('call-caller'), '0151 1234567');
    const offer = await screen.findByTestId('repeat-offer');
    expect(offer).toHaveTextContent('K7-0001');
    // From the caller, Tab goes straight to the subject: no card button, no offer between.
    await user.click(screen.getByTestId('call-caller'));
    await user.tab();
    expect(screen.getByTestId('call-subject')).toHaveFocus();
    await user.type(screen.getByTestId('call-subject'), 'Still offline');
    await user.keyboard('{Alt>}t{/Alt}');

    await waitFor(() => expect(screen.getByTestId('saved-banner')).toHaveTextContent('Logged as a further contact on K7-0001'));
    const [call] = backend.callsTo('submit_repeat_contact');
    expect(call.ticketId).toBe('t1');
    expect(call.outcome).toBeNull();
    expect(call.form).toMatchObject({ contact: { customer_id: 'c1', subject: 'Still offline', caller: '0151 1234567' } });
    expect(backend.callsTo('submit_contact')).toHaveLength(0);
    expect(screen.getByTestId('call-subject')).toHaveValue('');
  });

  it('an article marked as the solution files an uncategorised call under its category', async () => {
    app.referenceData = { categories: [{ id: 'cat1', name: 'Printers' }], departments: [], agents: [] };
    const suggestion: KbSuggestion = { id: 'kb1', title: 'Printer offline', snippet: [], fit: 'possible', confidence: 0.5 };
    const { backend, user } = await renderForm({
      suggest_kb: () => ({ suggestions: [suggestion], nothing_fits: false }),
      get_kb_article: () => ({ id: 'kb1', title: 'Printer offline', body_html: '<p>Restart</p>', tags: [], category_id: 'cat1' }),
    });
    await user.type(screen.getByTestId('call-subject'), 'Printer');
    await user.keyboard('{Alt>}1{/Alt}');
    await screen.findByTestId('kb-article');
    await user.keyboard('{Alt>}{Enter}{/Alt}');
    await waitFor(() => expect(screen.getByTestId('call-category')).toHaveValue('cat1'));
    await user.keyboard('{Alt>}s{/Alt}');
    await user.click(screen.getByTestId('solve-submit'));
    await screen.findByTestId('saved-banner');
    expect(backend.callsTo('submit_contact')[0].form).toMatchObject({ contact: { category_id: 'cat1' }, used_kb: ['kb1'] });
  });

  it('shows an unparseable phone number under the caller field without blocking', async () => {
    const { backend, user } = await renderForm({
      lookup_caller: () => ({ normalized: null, problem: 'Not a phone number', customers: [] }),
    });
    await user.type(screen.getByTestId('call-caller'), '12');
    // The window's words (the backend's problem text is English and technical).
    expect(await screen.findByTestId('caller-problem')).toHaveTextContent('Not a valid phone number. It is kept on the ticket as typed.');
    await user.type(screen.getByTestId('call-subject'), 'Question');
    await user.click(screen.getByTestId('btn-follow-up'));
    expect(screen.getByTestId('follow-up-due')).not.toHaveValue('');
    await user.click(screen.getByTestId('follow-up-submit'));
    await screen.findByTestId('saved-banner');
    const [call] = backend.callsTo('submit_contact');
    // Nothing typed is lost: the number stays on the contact although no customer was chosen.
    expect(call.form).toMatchObject({ contact: { customer_id: null, caller: '12' } });
    expect(call.outcome).toMatchObject({ type: 'follow_up', note: '' });
  });
});
