import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TicketView from './TicketView.svelte';
import { appError, fakeBackend, problem, SESSION } from '../ipc/fake';
import type { EmailReplyForm, EmailView, EventView, TicketView as Ticket } from '../ipc';
import { ticketView } from '../test/fixtures';
import { app } from '../lib/app.svelte';

const PHOTO = { sha256: 'a'.repeat(64), name: 'anzeige.jpg', content_type: 'image/jpeg', size: 1_536_000 };
const LOG = { sha256: 'b'.repeat(64), name: 'log.txt', content_type: 'text/plain', size: 2_048 };

function mail(overrides: Partial<EmailView> = {}): EmailView {
  return {
    inbound: true,
    from: 'erika@example.org',
    from_name: 'Erika Beispiel',
    to: ['support@helpline.example'],
    cc: [],
    subject: 'Printer jams',
    text: 'It still jams.',
    quoted: 'On Monday Anna wrote:\n> Open the flap.',
    attachments: [PHOTO, LOG],
    automatic: false,
    problems: [],
    delivery: null,
    ...overrides,
  };
}

function event(id: string, kind: string, email: EmailView | null, pending = false): EventView {
  return { id, at: 5_000, author: email?.inbound === false ? 'Anna Agent' : 'Mail system', kind, details: [], pending, email };
}

function emailTicket(events: EventView[] = []): Ticket {
  const base = ticketView();
  return ticketView({
    row: { ...base.row, subject: 'Printer jams' },
    description: 'The printer shows a paper jam.',
    channel: 'email',
    email_recipient: 'erika@example.org',
    actions: [...base.actions, 'reply_by_email'],
    possible_actions: [...base.possible_actions, 'reply_by_email'],
    events: [
      ...base.events,
      event('m1', 'email_received', mail()),
      event('m2', 'email_reply_queued', mail({ inbound: false, from: 'support@helpline.example', from_name: null, to: ['erika@example.org'], subject: 'Re: Printer jams', text: 'Pull the paper out gently.', quoted: '', attachments: [], delivery: 'sent' })),
      { ...event('m3', 'email_reply_sent', null), details: [{ key: 'reply_id', value: 'r1' }, { key: 'message_id', value: 'x@y' }] },
      event('m4', 'email_received', mail({ from: 'noreply@example.org', from_name: null, text: 'Out of office.', quoted: '', attachments: [], automatic: true, problems: ['content_cut'] })),
      ...events,
    ],
  });
}

/** A backend holding one e-mail ticket: a reply appends its entry, as the desktop records it. */
function emailBackend(extra: Record<string, (args: Record<string, unknown>) => unknown> = {}) {
  let sent: EventView[] = [];
  return fakeBackend({
    get_ticket: () => emailTicket(sent),
    suggest_kb: () => ({
      suggestions: [{ id: 'kb-paper', title: 'Clear a paper jam', snippet: [], fit: 'strong', confidence: 0.9 }],
      nothing_fits: false,
    }),
    get_kb_article: () => ({ id: 'kb-paper', title: 'Clear a paper jam', body: 'Open the flap and pull the paper out.', body_html: '<p>Open the flap</p>' }),
    reply_by_email: ({ form }) => {
      const f = form as EmailReplyForm;
      sent = [
        ...sent,
        event('r1', 'email_reply_queued', mail({ inbound: false, from: 'support@helpline.example', from_name: null, to: f.to, cc: f.cc, subject: f.subject, text: f.body, quoted: '', attachments: f.attachments, delivery: 'queued' }), true),
      ];
      return null;
    },
    ...extra,
  });
}

describe('TicketView: e-mail', () => {
  beforeEach(() => {
    app.session = { ...SESSION, agent: { ...SESSION.agent!, role: 'first_level' } };
  });

  it('shows the conversation in both directions, the quoted text folded until asked for', async () => {
    emailBackend();
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    const messages = await screen.findAllByTestId('email-message');
    expect(messages.map((m) => m.dataset.direction)).toEqual(['inbound', 'outbound', 'inbound']);

    const [customer, reply, automatic] = messages;
    expect(customer).toHaveTextContent('Erika Beispiel <erika@example.org>');
    expect(customer).toHaveTextContent('support@helpline.example');
    expect(customer).toHaveTextContent('Printer jams');
    expect(within(customer).getByTestId('email-text')).toHaveTextContent('It still jams.');
    expect(within(customer).queryByTestId('email-delivery')).toBeNull();

    const quoted = within(customer).getByTestId('email-quoted');
    const toggle = within(customer).getByTestId('email-quoted-toggle');
    expect(quoted).not.toBeVisible();
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(toggle).toHaveTextContent('Show quoted text');
    await user.click(toggle);
    expect(quoted).toBeVisible();
    expect(quoted).toHaveTextContent('Open the flap.');
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    await user.click(toggle);
    expect(quoted).not.toBeVisible();

    expect(reply).toHaveTextContent('Anna Agent <support@helpline.example>');
    expect(reply).toHaveTextContent('Re: Printer jams');
    expect(within(reply).getByTestId('email-delivery')).toHaveTextContent('Sent');
    expect(within(reply).queryByTestId('email-quoted-toggle')).toBeNull();

    expect(within(automatic).getByTestId('email-automatic')).toHaveTextContent('automatic');
    expect(within(automatic).getByTestId('email-problem')).toHaveTextContent('too long');

    // The hub's delivery record stays one line: no reply or message ids.
    const record = screen.getAllByTestId('timeline-event').find((e) => e.dataset.kind === 'email_reply_sent')!;
    expect(record).toHaveTextContent('E-mail reply sent');
    expect(record).not.toHaveTextContent('x@y');
  });

  it('lists attachments by name and readable size', async () => {
    emailBackend();
    render(TicketView, { ticketId: 't42' });
    const [customer] = await screen.findAllByTestId('email-message');
    const items = within(customer).getAllByTestId('email-attachment');
    expect(items.map((i) => i.textContent?.replace(/\s+/g, ' ').trim())).toEqual(['anzeige.jpg 1.5 MB', 'log.txt 2 kB']);
  });

  it('writes a reply: prefilled, refuses an empty To, inserts a KB article, passes attachments on, and shows it being sent', async () => {
    const backend = emailBackend();
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await user.click(await screen.findByTestId('email-reply-button'));
    const dialog = await screen.findByTestId('email-reply-dialog');
    expect(screen.getByTestId('email-reply-to')).toHaveValue('erika@example.org');
    expect(screen.getByTestId('email-reply-subject')).toHaveValue('Re: Printer jams');

    await user.clear(screen.getByTestId('email-reply-to'));
    await user.type(screen.getByTestId('email-reply-body'), 'Hello Ms Beispiel,');
    await user.click(screen.getByTestId('email-reply-send'));
    expect(backend.callsTo('reply_by_email')).toEqual([]);
    expect(screen.getByTestId('email-reply-to')).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByTestId('email-reply-missing')).toHaveTextContent('Still missing: To');
    expect(dialog).toHaveTextContent('Required.');

    await user.type(screen.getByTestId('email-reply-to'), 'erika@example, max@muster.de');
    await user.click(screen.getByTestId('email-reply-send'));
    expect(backend.callsTo('reply_by_email')).toEqual([]);
    expect(dialog).toHaveTextContent('Not a valid e-mail address.');
    await user.clear(screen.getByTestId('email-reply-to'));
    await user.type(screen.getByTestId('email-reply-to'), 'erika@example.org, max@muster.de');

    await user.click(screen.getByTestId('email-reply-kb-insert'));
    await user.click(await screen.findByTestId('email-reply-kb-option'));
    await waitFor(() =>
      expect(screen.getByTestId('email-reply-body')).toHaveValue('Hello Ms Beispiel,\n\nOpen the flap and pull the paper out.'),
    );
    expect(backend.callsTo('suggest_kb')).toEqual([{ text: 'Printer jams\nThe printer shows a paper jam.' }]);

    const boxes = screen.getAllByTestId('email-reply-attachment');
    expect(boxes.map((b) => b.closest('label')?.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'anzeige.jpg (1.5 MB)',
      'log.txt (2 kB)',
    ]);
    await user.click(boxes[0]);

    await user.click(screen.getByTestId('email-reply-send'));
    await waitFor(() => expect(backend.callsTo('reply_by_email')).toHaveLength(1));
    expect(backend.callsTo('reply_by_email')[0]).toEqual({
      ticketId: 't42',
      form: {
        to: ['erika@example.org', 'max@muster.de'],
        cc: [],
        subject: 'Re: Printer jams',
        body: 'Hello Ms Beispiel,\n\nOpen the flap and pull the paper out.',
        kb_article_id: 'kb-paper',
        attachments: [PHOTO],
      },
    });
    await waitFor(() => expect(screen.queryByTestId('email-reply-dialog')).toBeNull());
    const messages = screen.getAllByTestId('email-message');
    const mine = messages[messages.length - 1];
    expect(within(mine).getByTestId('email-delivery')).toHaveTextContent('Sending');
    expect(mine).toHaveTextContent('not yet synced');
    expect(mine).toHaveTextContent('anzeige.jpg');
  });

  it('keeps what was typed when the dialog closes, and as a draft', async () => {
    const backend = emailBackend();
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await user.click(await screen.findByTestId('email-reply-button'));
    await user.type(await screen.findByTestId('email-reply-body'), 'Half a sentence');
    await user.keyboard('{Escape}');
    expect(screen.queryByTestId('email-reply-dialog')).toBeNull();
    await user.click(screen.getByTestId('email-reply-button'));
    expect(await screen.findByTestId('email-reply-body')).toHaveValue('Half a sentence');
    await waitFor(() =>
      expect(backend.callsTo('save_draft').some((c) => c.key === 'ticket-email:t42' && String(c.body).includes('Half a sentence'))).toBe(true),
    );
  });

  it('restores a saved draft and shows the backend’s field error at the field', async () => {
    const draft = JSON.stringify({ to: 'erika@example.org', cc: 'boss@example.org', subject: 'Re: Printer jams', body: 'From yesterday', kb_article_id: null, attachments: [] });
    emailBackend({
      load_draft: ({ key }) => (key === 'ticket-email:t42' ? draft : null),
      reply_by_email: () => appError('validation', 'cc: not an e-mail address', 'cc', problem('not_an_email', { field: 'cc' })),
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await user.click(await screen.findByTestId('email-reply-button'));
    expect(await screen.findByTestId('email-reply-body')).toHaveValue('From yesterday');
    await user.click(screen.getByTestId('email-reply-send'));
    await waitFor(() => expect(screen.getByTestId('email-reply-cc')).toHaveAttribute('aria-invalid', 'true'));
    expect(screen.getByTestId('email-reply-dialog')).toHaveTextContent('Not a valid e-mail address.');
  });

  it('offers no reply where the backend does not', async () => {
    fakeBackend({ get_ticket: () => ({ ...emailTicket(), actions: ['add_note'] }) });
    render(TicketView, { ticketId: 't42' });
    expect(await screen.findByTestId('email-reply-button')).toBeDisabled();
  });
});

describe('TicketView: e-mail accessibility', () => {
  it('has no serious axe violations in the conversation and the composer', async () => {
    const axe = (await import('axe-core')).default;
    app.session = { ...SESSION, agent: { ...SESSION.agent!, role: 'first_level' } };
    emailBackend();
    const user = userEvent.setup();
    const { container } = render(TicketView, { ticketId: 't42' });
    await user.click(await screen.findByTestId('email-reply-button'));
    await user.click(await screen.findByTestId('email-reply-kb-insert'));
    await screen.findByTestId('email-reply-kb-option');
    const options: import('axe-core').RunOptions = {
      runOnly: ['wcag2a', 'wcag2aa'],
      rules: { 'color-contrast': { enabled: false } },
    };
    for (const root of [container, screen.getByTestId('email-reply-dialog')]) {
      const result = await axe.run(root, options);
      const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
    }
  });
});
