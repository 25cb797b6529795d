import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TicketView from './TicketView.svelte';
import { fakeBackend, SESSION } from '../ipc/fake';
import type { Role, TicketAction } from '../ipc';
import { ticketView } from '../test/fixtures';
import { app } from '../lib/app.svelte';
import { resetSeenCache, updatedSinceSeen } from '../lib/seen';

function signInAs(role: Role) {
  app.session = { ...SESSION, agent: { ...SESSION.agent!, role } };
}

/** The test ids of the action bar's controls, in order. */
function barControls(): string[] {
  const controls = screen.getByTestId('ticket-actions').querySelectorAll<HTMLElement>('button, select');
  return [...controls].map((control) => control.dataset.testid ?? '');
}

describe('TicketView', () => {
  beforeEach(() => {
    app.session = null;
  });

  it('shows the header and a localized timeline, marking unsynced events', async () => {
    fakeBackend({ get_ticket: () => ticketView() });
    render(TicketView, { ticketId: 't42' });
    expect(await screen.findByTestId('ticket-reference')).toHaveTextContent('K7-0042');
    expect(screen.getByTestId('ticket-status')).toHaveTextContent('Open');

    const events = within(screen.getByTestId('ticket-timeline')).getAllByTestId('timeline-event');
    expect(events.map((e) => e.dataset.kind)).toEqual(['created', 'contact_logged']);
    expect(events[1]).toHaveTextContent('Contact logged');
    expect(events[1]).toHaveTextContent('not yet synced');
    expect(events[1]).toHaveTextContent('Phone');
    expect(events[1]).toHaveTextContent('01:35');
    expect(events[0]).not.toHaveTextContent('not yet synced');
  });

  it('adds a note and reloads the ticket', async () => {
    let noted = false;
    const backend = fakeBackend({
      get_ticket: () =>
        ticketView(
          noted
            ? {
                events: [
                  ...ticketView().events,
                  { id: 'e3', at: 3_000, author: 'Anna', kind: 'note_added', details: [{ key: 'body', value: 'Called back' }], pending: true, email: null },
                ],
              }
            : {},
        ),
      add_note: () => {
        noted = true;
        return null;
      },
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    expect(await screen.findByTestId('ticket-note')).toHaveAttribute('aria-required', 'true');
    await user.type(screen.getByTestId('ticket-note'), 'Called back');
    await user.click(screen.getByTestId('ticket-add-note'));

    await waitFor(() => expect(screen.getAllByTestId('timeline-event')).toHaveLength(3));
    expect(backend.callsTo('add_note')).toEqual([{ ticketId: 't42', body: 'Called back' }]);
    expect(screen.getByTestId('ticket-note')).toHaveValue('');
  });

  it('enables exactly the actions the backend allows, and shows no other role’s controls', async () => {
    // First level looking at an escalated ticket: no second-level controls at all, and its
    // own ones disabled.
    signInAs('first_level');
    fakeBackend({
      get_ticket: () => ticketView({ row: { ...ticketView().row, level: 2 }, actions: ['add_note', 'log_contact'] }),
    });
    render(TicketView, { ticketId: 't42' });
    await screen.findByTestId('ticket-reference');
    for (const absent of ['ticket-ask-expert', 'ticket-hand-back', 'ticket-hand-over', 'ticket-return', 'ticket-draft-kb']) {
      expect(screen.queryByTestId(absent)).toBeNull();
    }
    for (const disabled of ['ticket-claim', 'ticket-resolve', 'ticket-escalate', 'ticket-informed', 'ticket-reopen', 'ticket-next-status']) {
      expect(screen.getByTestId(disabled)).toBeDisabled();
    }
    expect(screen.getByTestId('ticket-log-contact')).toBeEnabled();
  });

  it('keeps every button of the bar in its place when an action changes the ticket’s state', async () => {
    signInAs('second_level');
    let resolved = false;
    let informed = false;
    // What second level can ever do (the backend derives it from the rules).
    const possible: TicketAction[] = [
      'add_note', 'log_contact', 'change_status', 'set_follow_up', 'claim', 'escalate', 'hand_back',
      'hand_over_to_expert', 'request_consult', 'resolve', 'mark_customer_informed', 'reopen', 'draft_kb_article',
    ];
    const open = ticketView({
      row: { ...ticketView().row, level: 2 },
      actions: ['add_note', 'log_contact', 'change_status', 'request_consult', 'hand_back', 'hand_over_to_expert', 'resolve'],
      possible_actions: possible,
    });
    fakeBackend({
      get_ticket: () =>
        resolved
          ? ticketView({
              row: { ...open.row, status: 'resolved' },
              next_statuses: ['closed'],
              resolution: 'MTU set to 1400',
              customer_informed_at: informed ? Date.now() : null,
              actions: ['add_note', 'log_contact', 'change_status', 'mark_customer_informed', 'reopen', 'draft_kb_article'],
              possible_actions: possible,
            })
          : open,
      resolve_ticket: () => {
        resolved = true;
        return null;
      },
      mark_customer_informed: () => {
        informed = true;
        return null;
      },
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await screen.findByTestId('ticket-reference');
    const before = barControls();
    expect(before).toEqual([
      'ticket-claim',
      'ticket-resolve',
      'ticket-ask-expert',
      'ticket-escalate',
      'ticket-hand-back',
      'ticket-hand-over',
      'ticket-informed',
      'ticket-draft-kb',
      'ticket-reopen',
      'ticket-log-contact',
      'ticket-next-status',
      'ticket-change-status',
    ]);
    expect(screen.getByTestId('ticket-informed')).toBeDisabled();

    await user.click(screen.getByTestId('ticket-resolve'));
    await user.type(screen.getByTestId('solve-summary'), 'MTU set to 1400');
    await user.click(screen.getByTestId('solve-submit'));
    await waitFor(() => expect(screen.getByTestId('ticket-status')).toHaveTextContent('Resolved'));
    // Where "Resolve" was, "Resolve" still is (disabled); "Customer informed" was there all along.
    expect(barControls()).toEqual(before);
    expect(screen.getByTestId('ticket-resolve')).toBeDisabled();
    expect(screen.getByTestId('ticket-informed')).toBeEnabled();
    expect(screen.getByTestId('ticket-reopen')).toBeEnabled();

    await user.click(screen.getByTestId('ticket-informed'));
    await user.click(screen.getByTestId('informed-submit'));
    await screen.findByTestId('ticket-informed-at');
    expect(barControls()).toEqual(before);
    expect(screen.getByTestId('ticket-informed')).toBeDisabled();
  });

  it('shows the escalation first and tells a losing claim who has the ticket', async () => {
    const backend = fakeBackend({
      get_ticket: () =>
        ticketView({
          row: { ...ticketView().row, level: 2 },
          actions: ['add_note', 'claim', 'request_consult', 'hand_back', 'resolve'],
          escalation: { reason: 'Error 809', steps_tried: 'Router restarted', handover_summary: 'VPN drops hourly' },
        }),
      claim_ticket: () => ({
        state: 'refused',
        reason: 'K7-0042 is already claimed by Karl',
        problem: { code: 'already_claimed', params: { who: 'Karl' } },
      }),
    });
    render(TicketView, { ticketId: 't42' });
    expect(await screen.findByTestId('ticket-escalation')).toHaveTextContent('Router restarted');
    await userEvent.setup().click(screen.getByTestId('ticket-claim'));
    expect(await screen.findByTestId('ticket-claim-note')).toHaveTextContent('Karl has already claimed the ticket.');
    expect(backend.callsTo('claim_ticket')).toEqual([{ ticketId: 't42' }]);
  });

  it('asks an expert only with a department and a question', async () => {
    app.referenceData = { categories: [], departments: [{ id: 'd-it', name: 'IT' }], agents: [] };
    const backend = fakeBackend({
      get_ticket: () => ticketView({ row: { ...ticketView().row, level: 2 }, actions: ['add_note', 'request_consult'] }),
      ask_expert: () => 'c1',
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await user.click(await screen.findByTestId('ticket-ask-expert'));
    await user.click(screen.getByTestId('consult-submit'));
    expect(backend.callsTo('ask_expert')).toEqual([]);
    expect(screen.getByTestId('consult-dialog')).toHaveTextContent('Required.');
    await user.selectOptions(screen.getByTestId('consult-department'), 'd-it');
    await user.type(screen.getByTestId('consult-text'), 'Known bug in 5.2?');
    await user.click(screen.getByTestId('consult-submit'));
    await waitFor(() =>
      expect(backend.callsTo('ask_expert')).toEqual([{ ticketId: 't42', departmentId: 'd-it', question: 'Known bug in 5.2?' }]),
    );
    await waitFor(() => expect(screen.queryByTestId('consult-dialog')).toBeNull());
  });

  it('lets the expert answer an open consult and refuses an empty answer', async () => {
    const consult = {
      id: 'c1',
      department: 'IT',
      question: 'Known bug?',
      requested_by: 'Jana',
      requested_at: Date.now() - 600_000,
      answer: null,
      answered_by: null,
      answered_at: null,
      can_answer: true,
    };
    const backend = fakeBackend({
      get_ticket: () => ticketView({ consults: [consult], actions: ['add_note', 'answer_consult'] }),
      answer_consult: () => null,
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    expect(await screen.findByTestId('ticket-consults')).toHaveTextContent(/Asked \d+ minutes ago by Jana/);
    await user.click(screen.getByTestId('consult-answer-submit'));
    expect(backend.callsTo('answer_consult')).toEqual([]);
    const consults = screen.getByTestId('ticket-consults');
    expect(consults).toHaveTextContent('Required.');
    await user.type(screen.getByTestId('consult-answer-text'), 'Set MTU 1400');
    // Typing an answer takes "Required." away at once, not only on the next submit.
    expect(consults).not.toHaveTextContent('Required.');
    await user.click(screen.getByTestId('consult-answer-submit'));
    await waitFor(() =>
      expect(backend.callsTo('answer_consult')).toEqual([{ ticketId: 't42', consultId: 'c1', answer: 'Set MTU 1400' }]),
    );
  });

  it('keeps a half-typed hand-back instruction as a draft', async () => {
    const backend = fakeBackend({
      get_ticket: () => ticketView({ row: { ...ticketView().row, level: 2 }, actions: ['add_note', 'hand_back'] }),
      load_draft: ({ key }) => (key === 'ticket-hand_back:t42' ? 'Call the customer back' : null),
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await user.click(await screen.findByTestId('ticket-hand-back'));
    await waitFor(() => expect(screen.getByTestId('hand-back-text')).toHaveValue('Call the customer back'));
    await user.type(screen.getByTestId('hand-back-text'), ' today');
    await waitFor(() =>
      expect(backend.callsTo('save_draft')).toContainEqual({ key: 'ticket-hand_back:t42', body: 'Call the customer back today' }),
    );
  });

  it('records what the agent saw, again after their own action, so the queue marks only others’ changes', async () => {
    localStorage.clear();
    resetSeenCache();
    signInAs('first_level');
    let noted = false;
    fakeBackend({
      get_ticket: () => ticketView({ row: { ...ticketView().row, updated_at: noted ? 2_000 : 1_000 } }),
      add_note: () => {
        noted = true;
        return null;
      },
    });
    const user = userEvent.setup();
    render(TicketView, { ticketId: 't42' });
    await screen.findByTestId('ticket-reference');
    expect(updatedSinceSeen('a1', { id: 't42', updated_at: 1_000 })).toBe(false);
    expect(updatedSinceSeen('a1', { id: 't42', updated_at: 2_000 })).toBe(true);

    await user.type(screen.getByTestId('ticket-note'), 'Called back');
    await user.click(screen.getByTestId('ticket-add-note'));
    await waitFor(() => expect(updatedSinceSeen('a1', { id: 't42', updated_at: 2_000 })).toBe(false));
  });
});
