// The phone system's calls in the whole window: the backend's `call-changed` event drives
// the banner, the native notification, and the call form's screen pop.
import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import App from './App.svelte';
import type { CallerLookup, IncomingCall } from './ipc';
import { SESSION, emitCallChanged, fakeBackend, incomingCall } from './ipc/fake';
import { app } from './lib/app.svelte';
import { setLocale } from './lib/i18n/index.svelte';
import { phone } from './lib/phone.svelte';
import { ticketRow } from './test/fixtures';

const MAX = {
  customer_id: 'c1',
  name: 'Max Mustermann',
  company: null,
  more_customers: 0,
  open_tickets: [ticketRow(7, { subject: 'VPN drops' })],
};
const MAX_CARD = {
  id: 'c1',
  name: 'Max Mustermann',
  company: null,
  phones: ['+49301234567'],
  emails: [],
  likely_duplicate: false,
  open_tickets: [ticketRow(7)],
  recent_tickets: [],
};

function lookup({ text }: Record<string, unknown>): CallerLookup {
  return String(text) === '+49301234567'
    ? { normalized: '+49301234567', problem: null, customers: [MAX_CARD], open_tickets: [] }
    : { normalized: null, problem: null, customers: [], open_tickets: [] };
}

async function start(language: 'en' | 'de' = 'en') {
  const backend = fakeBackend({
    get_session: () => ({ ...SESSION, language }),
    lookup_caller: lookup,
    submit_contact: () => ({ ticket_id: 't9', reference: 'K7-0042' }),
  });
  const user = userEvent.setup();
  render(App);
  await screen.findByTestId('call-subject');
  // The form restored its (empty) draft: from now on it takes calls.
  await waitFor(() => expect(backend.callsTo('load_draft').length).toBeGreaterThanOrEqual(2));
  return { backend, user };
}

async function ring(call: Partial<IncomingCall> = {}): Promise<IncomingCall> {
  const event = incomingCall(call);
  await emitCallChanged(event);
  return event;
}

describe('calls from the phone system', () => {
  beforeEach(() => {
    phone.reset();
    app.session = null;
    app.route = { name: 'call' };
    setLocale('en');
  });

  it('shows a banner with the caller, their open tickets and the queue, and raises a notification', async () => {
    const { backend } = await start();
    app.navigate({ name: 'queue' });
    await ring({ caller: MAX, queue: 'support' });

    const banner = await screen.findByTestId('incoming-call');
    // Not a dialog: the agent goes on with what they were doing; a screen reader hears it.
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(banner.closest('[role="status"]')).toHaveAttribute('aria-live', 'polite');
    expect(within(banner).getByTestId('incoming-number')).toHaveTextContent('+49301234567');
    expect(within(banner).getByTestId('incoming-customer')).toHaveTextContent('Max Mustermann');
    expect(within(banner).getByTestId('incoming-tickets')).toHaveTextContent('K7-0007 – VPN drops');
    expect(within(banner).getByTestId('incoming-queue')).toHaveTextContent('support');
    await waitFor(() =>
      expect(backend.callsTo('show_notification')).toContainEqual({ title: 'Call from Max Mustermann', body: '+49301234567 · Phone queue: support' }),
    );

    // The same ringing again (a pull after the stream) is no second notification.
    await ring({ caller: MAX, queue: 'support' });
    await waitFor(() => expect(screen.getAllByTestId('incoming-call')).toHaveLength(1));
    expect(backend.callsTo('show_notification').filter((n) => String(n.title).startsWith('Call from'))).toHaveLength(1);
  });

  it('says "Unbekannte Nummer" for an anonymous caller, never a lookup error', async () => {
    const { backend } = await start('de');
    await ring({ number: 'anonymous', number_e164: null });
    const banner = await screen.findByTestId('incoming-call');
    expect(within(banner).getByTestId('incoming-number')).toHaveTextContent('Unbekannte Nummer');
    expect(within(banner).queryByTestId('incoming-no-customer')).toBeNull();
    await waitFor(() => expect(backend.callsTo('show_notification')).toContainEqual({ title: 'Anruf von unbekannter Rufnummer', body: '' }));

    // Answered: the form opens with an empty caller field (nothing to look up), the call id attached.
    await ring({ number: 'anonymous', number_e164: null, state: 'answered_by_me', answered_by_me: true, answered_at: Date.now() });
    await waitFor(() => expect(screen.queryByTestId('incoming-call')).toBeNull());
    expect(screen.getByTestId('call-caller')).toHaveValue('');
    expect(screen.queryByTestId('caller-problem')).toBeNull();
  });

  it('closes the banner when another agent answers, and when the call ends unanswered', async () => {
    await start();
    const first = await ring({ call_id: 'c-a' });
    await ring({ call_id: 'c-b', number: '040 999', number_e164: '+4940999' });
    await waitFor(() => expect(screen.getAllByTestId('incoming-call')).toHaveLength(2));

    await emitCallChanged({ ...first, state: 'answered_elsewhere', answered_at: Date.now() });
    await waitFor(() => expect(screen.getAllByTestId('incoming-call')).toHaveLength(1));
    expect(screen.getByTestId('incoming-call')).toHaveAttribute('data-call-id', 'c-b');

    await ring({ call_id: 'c-b', state: 'ended', ended_at: Date.now(), missed: true });
    await waitFor(() => expect(screen.queryByTestId('incoming-call')).toBeNull());
    // A late "ringing" for a call that ended brings nothing back.
    await emitCallChanged(first);
    await new Promise((r) => setTimeout(r, 20));
    expect(screen.queryByTestId('incoming-call')).toBeNull();
    // Nothing was answered here: the form stays as it was.
    expect(screen.getByTestId('call-caller')).toHaveValue('');
  });

  it('opens the call form when this agent answers: caller looked up, call id attached, timer from the answer', async () => {
    const { backend, user } = await start();
    app.navigate({ name: 'queue' });
    await ring({ caller: MAX });
    await ring({ caller: MAX, state: 'answered_by_me', answered_by_me: true, answered_at: Date.now() - 65_000 });

    await waitFor(() => expect(app.route.name).toBe('call'));
    expect(screen.queryByTestId('incoming-call')).toBeNull();
    expect(screen.getByTestId('call-caller')).toHaveValue('+49301234567');
    // The form's own lookup found and chose the customer.
    expect(await screen.findByTestId('customer-card')).toHaveTextContent('Max Mustermann');
    await waitFor(() => expect(screen.getByTestId('call-timer').textContent).toMatch(/^01:0\d$/));
    expect(screen.getByTestId('call-subject')).toHaveFocus();

    // The hang-up: the phone system's talk time is the duration, the timer stops.
    await ring({ caller: MAX, state: 'ended', answered_at: Date.now() - 65_000, ended_at: Date.now(), talk_seconds: 125 });
    await waitFor(() => expect(screen.getByTestId('call-timer')).toHaveTextContent('02:05'));

    await user.type(screen.getByTestId('call-subject'), 'VPN again');
    await user.click(screen.getByTestId('btn-solved'));
    await user.type(screen.getByTestId('solve-summary'), 'Reconnected');
    await user.click(screen.getByTestId('solve-submit'));
    await waitFor(() => expect(backend.callsTo('submit_contact')).toHaveLength(1));
    const [sent] = backend.callsTo('submit_contact');
    expect(sent.form).toMatchObject({
      call_id: 'call-1',
      contact: { caller: '+49301234567', customer_id: 'c1', channel: 'phone', direction: 'inbound', duration_seconds: 125 },
    });
  });

  it('never replaces a form with input: the answered call waits in a bar and opens once the form is saved', async () => {
    const { user } = await start();
    await user.type(screen.getByTestId('call-subject'), 'Printer jam');
    await ring({ state: 'answered_by_me', answered_by_me: true, answered_at: Date.now() });

    const bar = await screen.findByTestId('call-waiting');
    expect(bar).toHaveTextContent('Answered call from +49301234567');
    expect(screen.getByTestId('call-subject')).toHaveValue('Printer jam');
    expect(screen.getByTestId('call-caller')).toHaveValue('');

    await user.click(screen.getByTestId('btn-solved'));
    await user.type(screen.getByTestId('solve-summary'), 'Opened the tray');
    await user.click(screen.getByTestId('solve-submit'));

    await waitFor(() => expect(screen.getByTestId('call-caller')).toHaveValue('+49301234567'));
    expect(screen.queryByTestId('call-waiting')).toBeNull();
    expect(screen.getByTestId('call-subject')).toHaveValue('');
  });

  it('the bar opens the call at once and keeps the current input as the previous draft', async () => {
    const { backend, user } = await start();
    await user.type(screen.getByTestId('call-subject'), 'Printer jam');
    await ring({ state: 'answered_by_me', answered_by_me: true, answered_at: Date.now() });
    await user.click(await screen.findByTestId('call-waiting-take'));

    await waitFor(() => expect(screen.getByTestId('call-caller')).toHaveValue('+49301234567'));
    expect(screen.getByTestId('call-subject')).toHaveValue('');
    const kept = backend.callsTo('save_draft').find((c) => c.key === 'call-form-previous');
    expect(String(kept?.body)).toContain('Printer jam');
    expect(screen.getByText('A new call came in: the form you were filling in was kept as a draft.')).toBeInTheDocument();
  });

  it('an outbound call neither notifies nor takes the agent away from the ticket they called from', async () => {
    const { backend, user } = await start();
    app.navigate({ name: 'queue' });
    await ring({ direction: 'out', number: '040 999', number_e164: '+4940999' });
    expect(await screen.findByTestId('incoming-call')).toHaveTextContent('Outgoing call');
    await ring({ direction: 'out', number: '040 999', number_e164: '+4940999', state: 'answered_by_me', answered_by_me: true, answered_at: Date.now() });

    const bar = await screen.findByTestId('call-waiting');
    expect(bar).toHaveTextContent('Call with +4940999');
    expect(app.route.name).toBe('queue');
    expect(backend.callsTo('show_notification').filter((n) => String(n.title).startsWith('Call from'))).toEqual([]);

    await user.click(within(bar).getByTestId('call-waiting-take'));
    await waitFor(() => expect(screen.getByTestId('call-caller')).toHaveValue('+4940999'));
    expect(screen.getByTestId('call-direction')).toHaveValue('outbound');
  });

  it('opens the call log from the navigation and with Alt+L', async () => {
    const { user } = await start('de');
    await user.click(screen.getByTestId('nav-calls'));
    expect(await screen.findByTestId('call-log')).toBeVisible();
    expect(screen.getByTestId('nav-calls')).toHaveAttribute('aria-current', 'page');
    await user.click(screen.getByTestId('nav-queue'));
    await waitFor(() => expect(screen.queryByTestId('call-log')).toBeNull());
    await user.keyboard('{Alt>}l{/Alt}');
    expect(await screen.findByTestId('call-log')).toBeVisible();
  });
});
