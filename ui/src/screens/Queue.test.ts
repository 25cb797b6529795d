import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import Queue from './Queue.svelte';
import { app } from '../lib/app.svelte';
import { fakeBackend, SESSION } from '../ipc/fake';
import { recordSeen, resetSeenCache } from '../lib/seen';
import { ticketRow } from '../test/fixtures';

const TOTAL = 100_000;

function pagedQueue(args: Record<string, unknown>) {
  const offset = Number(args.offset);
  const limit = Number(args.limit);
  const rows = Array.from({ length: Math.max(0, Math.min(limit, TOTAL - offset)) }, (_, i) => ticketRow(offset + i));
  return { total: TOTAL, offset, rows };
}

describe('Queue', () => {
  beforeEach(() => {
    app.route = { name: 'queue' };
    app.queue = 'mine';
    app.session = null;
  });

  it('renders only a window of a 100k-row queue, fetched in pages', async () => {
    const backend = fakeBackend({ list_queue: pagedQueue });
    render(Queue);
    const list = await screen.findByTestId('queue-list');
    await waitFor(() => expect(within(list).getAllByTestId('queue-row').length).toBeGreaterThan(10));
    expect(within(list).getAllByTestId('queue-row').length).toBeLessThan(60);
    expect(within(list).getAllByTestId('queue-row')[0]).toHaveAttribute('data-reference', 'K7-0000');
    expect(backend.callsTo('list_queue')).toEqual([{ queue: 'mine', offset: 0, limit: 100 }]);
    expect(screen.getByTestId('queue-tab-mine')).toHaveTextContent(/100[,.]000/);
  });

  it('moves with the arrow keys and opens the ticket with Enter', async () => {
    fakeBackend({ list_queue: pagedQueue });
    const user = userEvent.setup();
    render(Queue);
    const list = await screen.findByTestId('queue-list');
    await waitFor(() => expect(within(list).getAllByTestId('queue-row').length).toBeGreaterThan(0));
    list.focus();
    await user.keyboard('{ArrowDown}{ArrowDown}{Enter}');
    expect(app.route).toEqual({ name: 'ticket', id: 't2' });
  });

  it('switches queues from the tabs', async () => {
    const backend = fakeBackend({ list_queue: pagedQueue });
    const user = userEvent.setup();
    render(Queue);
    await user.click(screen.getByTestId('queue-tab-escalated'));
    await waitFor(() => expect(backend.callsTo('list_queue')).toContainEqual({ queue: 'escalated', offset: 0, limit: 100 }));
    expect(screen.getByTestId('queue-tab-escalated')).toHaveAttribute('aria-selected', 'true');
  });

  it('opens a ticket by reference from the filter box', async () => {
    const backend = fakeBackend({
      list_queue: pagedQueue,
      search_tickets: () => [],
      find_ticket: ({ reference }) => (reference === 'K7-0042' ? 't42' : null),
    });
    const user = userEvent.setup();
    render(Queue);
    await user.type(screen.getByTestId('queue-filter'), 'k7-0042{Enter}');
    await waitFor(() => expect(app.route).toEqual({ name: 'ticket', id: 't42' }));
    expect(backend.callsTo('find_ticket')).toEqual([{ reference: 'K7-0042' }]);
  });

  it('replaces the list with full-text hits and highlighted snippets while the filter has text', async () => {
    fakeBackend({
      list_queue: pagedQueue,
      search_tickets: () => [
        {
          id: 't7',
          reference: 'K7-0007',
          subject: 'Drucker',
          status: 'open',
          snippet: [
            { text: 'der ', hit: false },
            { text: 'Druckerpapier', hit: true },
          ],
        },
      ],
    });
    const user = userEvent.setup();
    render(Queue);
    await user.type(screen.getByTestId('queue-filter'), 'papier');
    const list = screen.getByTestId('queue-list');
    await waitFor(() => expect(within(list).getAllByTestId('queue-row')).toHaveLength(1));
    const row = within(list).getByTestId('queue-row');
    expect(row).toHaveAttribute('data-reference', 'K7-0007');
    expect(row.querySelector('mark')).toHaveTextContent('Druckerpapier');

    await user.clear(screen.getByTestId('queue-filter'));
    await waitFor(() => expect(within(screen.getByTestId('queue-list')).getAllByTestId('queue-row').length).toBeGreaterThan(1));
  });

  it('marks a ticket that changed since the agent last opened it', async () => {
    localStorage.clear();
    resetSeenCache();
    app.session = SESSION;
    const agent = SESSION.agent!.id;
    recordSeen(agent, 't1', 1_000);
    recordSeen(agent, 't2', 1_000);
    // Another agent's view of t2 does not count for this one.
    recordSeen('someone-else', 't2', 0);
    fakeBackend({
      list_queue: () => ({
        total: 3,
        offset: 0,
        rows: [ticketRow(1, { updated_at: 5_000 }), ticketRow(2, { updated_at: 1_000 }), ticketRow(3, { updated_at: 9_000 })],
      }),
    });
    render(Queue);
    const list = await screen.findByTestId('queue-list');
    await waitFor(() => expect(within(list).getAllByTestId('queue-row')).toHaveLength(3));
    const [changed, unchanged, neverOpened] = within(list).getAllByTestId('queue-row');
    expect(within(changed).getByTestId('queue-row-updated')).toHaveTextContent('Changed since you last opened it');
    expect(within(changed).getByTestId('queue-row-updated')).toHaveAttribute('title', 'Changed since you last opened it');
    expect(within(unchanged).queryByTestId('queue-row-updated')).toBeNull();
    expect(within(neverOpened).queryByTestId('queue-row-updated')).toBeNull();
  });
});
