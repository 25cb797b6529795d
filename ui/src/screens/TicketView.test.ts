import { describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import TicketView from './TicketView.svelte';
import { fakeBackend } from '../ipc/fake';
import { ticketView } from '../test/fixtures';

describe('TicketView', () => {
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
                  { id: 'e3', at: 3_000, author: 'Anna', kind: 'note_added', details: [{ key: 'body', value: 'Called back' }], pending: true },
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
    await user.type(await screen.findByTestId('ticket-note'), 'Called back');
    await user.click(screen.getByTestId('ticket-add-note'));

    await waitFor(() => expect(screen.getAllByTestId('timeline-event')).toHaveLength(3));
    expect(backend.callsTo('add_note')).toEqual([{ ticketId: 't42', body: 'Called back' }]);
    expect(screen.getByTestId('ticket-note')).toHaveValue('');
  });

  it('offers escalation only on level 1', async () => {
    fakeBackend({ get_ticket: () => ticketView({ row: { ...ticketView().row, level: 2 } }) });
    render(TicketView, { ticketId: 't42' });
    await screen.findByTestId('ticket-reference');
    expect(screen.queryByTestId('ticket-escalate')).toBeNull();
  });
});
