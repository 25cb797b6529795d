import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import { app } from './lib/app.svelte';
import { setLocale } from './lib/i18n/index.svelte';
import { SESSION, SYNC, appError, fakeBackend, emitEvent } from './ipc/fake';

describe('App', () => {
  beforeEach(() => {
    app.session = null;
    app.route = { name: 'call' };
    app.helpOpen = false;
    setLocale('en');
  });

  it('signs in from the login screen and lands on the call form', async () => {
    const signedOut = { ...SESSION, agent: null };
    const backend = fakeBackend({
      get_session: () => signedOut,
      sign_in: ({ password }) => (password === 'secret' ? SESSION : appError('unauthorized', 'Wrong login or password')),
    });
    const user = userEvent.setup();
    render(App);

    const hub = await screen.findByTestId('login-hub');
    expect(hub).toHaveValue(SESSION.hub_url);
    await user.clear(hub);
    await user.type(hub, 'http://hub');
    await user.type(screen.getByTestId('login-user'), 'anna');
    await user.type(screen.getByTestId('login-password'), 'wrong');
    await user.click(screen.getByTestId('login-submit'));
    // The window's own words, not the hub's (English, technical) text.
    expect(await screen.findByTestId('login-error')).toHaveTextContent('Sign-in refused: the login or password is wrong');

    await user.clear(screen.getByTestId('login-password'));
    await user.type(screen.getByTestId('login-password'), 'secret');
    await user.click(screen.getByTestId('login-submit'));
    expect(await screen.findByTestId('call-subject')).toBeVisible();
    expect(backend.callsTo('sign_in').at(-1)).toEqual({ hubUrl: 'http://hub', login: 'anna', password: 'secret' });
  });

  it('follows the session language and switches it from the settings', async () => {
    const backend = fakeBackend({ set_language: ({ language }) => ({ ...SESSION, language }) });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('nav-settings'));
    await user.selectOptions(screen.getByTestId('settings-language'), 'de');
    expect(await screen.findByTestId('nav-queue')).toHaveTextContent('Tickets');
    expect(screen.getByTestId('nav-call')).toHaveTextContent('Neuer Kontakt');
    expect(backend.callsTo('set_language')).toEqual([{ language: 'de' }]);
  });

  it('reloads the reference data after a pull brought something (a first sign-in has none yet)', async () => {
    const backend = fakeBackend();
    render(App);
    await screen.findByTestId('call-subject');
    await waitFor(() => expect(backend.callsTo('get_reference_data')).toHaveLength(1));
    await emitEvent('tickets-changed', { count: 3 });
    await waitFor(() => expect(backend.callsTo('get_reference_data')).toHaveLength(2));
  });

  it("says alerts in the agent's language, in the window and as a native notification", async () => {
    const backend = fakeBackend({ get_session: () => ({ ...SESSION, language: 'de' }) });
    render(App);
    await screen.findByTestId('call-subject');
    await emitEvent('work-arrived', { kind: 'new_in_queue', ticket_id: 't1', reference: 'K7-0007', subject: 'VPN trennt' });
    expect(await screen.findByTestId('work-alert')).toHaveTextContent('Neu in Ihrer Warteschlange: K7-0007');
    await emitEvent('follow-up-due', { ticket_id: 't2', reference: 'K7-0008', note: 'Kunde zurückrufen' });
    await waitFor(() =>
      expect(backend.callsTo('show_notification')).toEqual([
        { title: 'Neu in Ihrer Warteschlange: K7-0007', body: 'VPN trennt' },
        { title: 'Wiedervorlage: K7-0008', body: 'Kunde zurückrufen' },
      ]),
    );
  });

  it('opens the help overlay with ? and closes it with Escape', async () => {
    fakeBackend();
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('call-subject');
    await user.keyboard('?');
    const help = await screen.findByTestId('help-overlay');
    expect(help).toHaveAttribute('role', 'dialog');
    expect(help).toHaveAccessibleName('Keyboard shortcuts');
    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('help-overlay')).toBeNull());
  });

  it('navigates with Alt+Q and Alt+N, even from a text field', async () => {
    fakeBackend({ list_queue: () => ({ total: 0, offset: 0, rows: [] }) });
    const user = userEvent.setup();
    render(App);
    await user.click(await screen.findByTestId('call-subject'));
    await user.keyboard('{Alt>}q{/Alt}');
    expect(await screen.findByTestId('queue-list')).toBeInTheDocument();
    await user.keyboard('{Alt>}n{/Alt}');
    await waitFor(() => expect(screen.getByTestId('call-caller')).toHaveFocus());
  });

  it('opens suggestion n with Alt+n and marks the open article with Alt+Enter, while typing', async () => {
    const suggestion = (id: string, title: string) => ({ id, title, snippet: [], fit: 'possible' as const, confidence: 0.5 });
    fakeBackend({
      suggest_kb: () => ({ suggestions: [suggestion('kb1', 'Reconnect the VPN'), suggestion('kb2', 'Reset the router')], nothing_fits: false }),
      get_kb_article: ({ id }) => ({ id, title: id === 'kb2' ? 'Reset the router' : 'Reconnect the VPN', body_html: '<p>Do it.</p>', tags: [] }),
    });
    const user = userEvent.setup();
    render(App);
    await user.type(await screen.findByTestId('call-subject'), 'VPN');
    await screen.findAllByTestId('kb-suggestion');
    await user.keyboard('{Alt>}2{/Alt}');
    await waitFor(() => expect(screen.getByTestId('kb-article')).toHaveTextContent('Reset the router'));
    expect(screen.getByTestId('call-subject')).toHaveFocus();
    await user.keyboard('{Alt>}{Enter}{/Alt}');
    await waitFor(() => expect(screen.getByTestId('kb-solved-it')).toHaveAttribute('aria-pressed', 'true'));
  });

  it("keeps the customer card's ticket links out of the Tab order between caller and subject", async () => {
    const row = { id: 't1', reference: 'K7-0001', subject: 'VPN', status: 'open', priority: 'normal', level: 1, customer_name: 'Erika', assignee: null, resolution_due: null, resolved_at: null, created_at: 0, updated_at: 0 };
    fakeBackend({
      lookup_caller: () => ({
        normalized: '+491511234567',
        problem: null,
        customers: [{ id: 'c1', name: 'Erika', company: null, phones: ['+491511234567'], emails: [], likely_duplicate: false, open_tickets: [row], recent_tickets: [row] }],
      }),
    });
    const user = userEvent.setup();
    render(App);
    await user.type(await screen.findByTestId('call-caller'), '0151 1234567');
    await screen.findByTestId('customer-card');
    for (const link of document.querySelectorAll('.ticket-link')) expect(link).toHaveAttribute('tabindex', '-1');
  });

  it('shows sync status and the rejected changes from events', async () => {
    fakeBackend();
    const user = userEvent.setup();
    render(App);
    await screen.findByTestId('call-subject');
    expect(screen.getByTestId('status-connection')).toHaveAttribute('data-state', 'online');

    await emitEvent('sync-status-changed', {
      ...SYNC,
      connection: 'syncing',
      pending: 3,
      progress: { done: 50, total: 200 },
      rejected: [{ seq: 7, name: 'escalate', reason: 'K7-0001 is resolved; reopen it first', problem: { code: 'needs_reopen', params: { field: 'status' } }, at: 0 }],
    });
    await waitFor(() => expect(screen.getByTestId('status-connection')).toHaveAttribute('data-state', 'syncing'));
    expect(screen.getByTestId('status-pending')).toHaveTextContent('3');
    expect(screen.getByTestId('status-progress')).toHaveAttribute('value', '50');
    await user.click(screen.getByTestId('status-rejected'));
    // The window's words for the hub's code, never the hub's English sentence.
    expect(within(screen.getByTestId('rejected-list')).getByText('The ticket is resolved or closed. Reopen it first.')).toBeVisible();
    expect(screen.getByTestId('rejected-list')).not.toHaveTextContent('reopen it first');
    // The change is named in the agent's words, not by its wire name.
    expect(screen.getByTestId('rejected-name')).toHaveTextContent('Escalate to 2nd level');
  });
});
