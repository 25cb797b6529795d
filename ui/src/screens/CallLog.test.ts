import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import CallLog from './CallLog.svelte';
import type { CallLogRow } from '../ipc';
import { SESSION, appError, fakeBackend, incomingCall } from '../ipc/fake';
import { app } from '../lib/app.svelte';
import { setLocale } from '../lib/i18n/index.svelte';
import { phone } from '../lib/phone.svelte';

const NOW = Date.now();

function row(callId: string, fields: Partial<CallLogRow> = {}): CallLogRow {
  return {
    call_id: callId,
    direction: 'in',
    number: '030 1234567',
    number_e164: '+49301234567',
    caller_name: null,
    customer_id: null,
    queue: null,
    answered_by_name: null,
    answered_by_me: false,
    started_at: NOW - 60_000,
    answered_at: null,
    ended_at: NOW - 30_000,
    talk_seconds: null,
    missed: false,
    mine: true,
    ticket: null,
    ...fields,
  };
}

const ROWS: CallLogRow[] = [
  row('answered', {
    caller_name: 'Max Mustermann',
    answered_by_me: true,
    answered_by_name: 'Anna Agent',
    started_at: NOW - 90_000,
    answered_at: NOW - 85_000,
    talk_seconds: 95,
    ticket: { id: 't7', reference: 'K7-0007' },
  }),
  row('missed-mine', { number: '0151 777', number_e164: '+49151777', missed: true, started_at: NOW - 10_000 }),
  row('missed-other', { number: '040 5', number_e164: '+49405', missed: true, mine: false, started_at: NOW - 20_000 }),
  row('anonymous', { number: 'anonymous', number_e164: null, missed: true, started_at: NOW - 5_000 }),
  row('outbound', { direction: 'out', answered_at: NOW - 50_000, talk_seconds: 30, answered_by_name: 'Ben Becker' }),
];

describe('CallLog', () => {
  beforeEach(() => {
    phone.reset();
    setLocale('de');
    app.session = { ...SESSION, language: 'de' };
    app.route = { name: 'calls' };
  });

  it("lists today's calls, newest first, with my missed calls highlighted", async () => {
    const backend = fakeBackend({ list_calls: () => ({ rows: ROWS }) });
    render(CallLog);
    const rows = await screen.findAllByTestId('call-row');
    expect(rows.map((r) => r.dataset.callId)).toEqual(['anonymous', 'missed-mine', 'missed-other', 'outbound', 'answered']);
    const [from, to] = [backend.callsTo('list_calls')[0].from as number, backend.callsTo('list_calls')[0].to as number];
    expect(from).toBeLessThanOrEqual(NOW);
    expect(to).toBeGreaterThan(NOW);

    const byId = (id: string) => rows.find((r) => r.dataset.callId === id)!;
    expect(byId('missed-mine')).toHaveClass('missed');
    expect(byId('missed-other')).not.toHaveClass('missed');
    expect(byId('answered')).not.toHaveClass('missed');
    expect(within(byId('missed-mine')).getByTestId('call-outcome')).toHaveTextContent('Verpasst');
    expect(within(byId('answered')).getByTestId('call-outcome')).toHaveTextContent('Von mir angenommen');
    expect(byId('answered')).toHaveTextContent('01:35');
    expect(within(byId('answered')).getByTestId('call-ticket')).toHaveTextContent('K7-0007');
    expect(byId('outbound')).toHaveTextContent('Ausgehend');
    expect(within(byId('anonymous')).getByTestId('call-number-unknown')).toHaveTextContent('Unbekannte Nummer');
    // Nothing to call back for an unknown number.
    expect(within(byId('anonymous')).queryByTestId('call-back')).toBeNull();
    expect(screen.getByTestId('calls-missed-count')).toHaveTextContent('Meine verpassten Anrufe: 2');

    await userEvent.setup().click(screen.getByTestId('calls-only-missed'));
    expect(screen.getAllByTestId('call-row').map((r) => r.dataset.callId)).toEqual(['anonymous', 'missed-mine']);
  });

  it('"Zurückrufen" dials the number; a refusal shows at the button', async () => {
    const backend = fakeBackend({ list_calls: () => ({ rows: ROWS }) });
    const user = userEvent.setup();
    render(CallLog);
    const missed = (await screen.findAllByTestId('call-row')).find((r) => r.dataset.callId === 'missed-mine')!;
    await user.click(within(missed).getByTestId('call-back'));
    await waitFor(() => expect(backend.callsTo('dial_number')).toEqual([{ number: '+49151777', ticketId: null }]));

    // Every number is a call button too; a call about a logged ticket is linked to it.
    const answered = screen.getAllByTestId('call-row').find((r) => r.dataset.callId === 'answered')!;
    await user.click(within(answered).getByRole('button', { name: '+49301234567 anrufen' }));
    await waitFor(() => expect(backend.callsTo('dial_number').at(-1)).toEqual({ number: '+49301234567', ticketId: 't7' }));

    backend.on({ dial_number: () => appError('validation', 'scheme not allowed') });
    await user.click(within(missed).getByTestId('call-back'));
    expect(await within(missed).findByTestId('dial-error')).toHaveTextContent('Eingabe');
  });

  it('"Kontakt erfassen" hands the number and the call id to the call form', async () => {
    fakeBackend({ list_calls: () => ({ rows: ROWS }) });
    const user = userEvent.setup();
    render(CallLog);
    const missed = (await screen.findAllByTestId('call-row')).find((r) => r.dataset.callId === 'missed-mine')!;
    await user.click(within(missed).getByTestId('call-log-contact'));
    expect(app.route).toEqual({ name: 'call' });
    expect(phone.pending).toMatchObject({ call_id: 'missed-mine', number: '+49151777', direction: 'inbound' });
    // Asked for by the agent: the form takes it now (keeping any input aside).
    expect(phone.takeNow).toBe(true);
    // A logged call has its ticket instead.
    const answered = screen.getAllByTestId('call-row').find((r) => r.dataset.callId === 'answered')!;
    expect(within(answered).queryByTestId('call-log-contact')).toBeNull();
  });

  it('reloads when a call changes', async () => {
    const backend = fakeBackend({ list_calls: () => ({ rows: [] }) });
    render(CallLog);
    expect(await screen.findByTestId('calls-empty')).toHaveTextContent('Heute noch keine Anrufe.');
    backend.on({ list_calls: () => ({ rows: [ROWS[1]] }) });
    phone.receive(incomingCall({ call_id: 'missed-mine', state: 'ended', missed: true }));
    await waitFor(() => expect(screen.getAllByTestId('call-row')).toHaveLength(1));
  });
});
