import { describe, expect, it } from 'vitest';
import { AppError, api, isAppError, on } from './index';
import { appError, fakeBackend, emitEvent } from './fake';

describe('ipc', () => {
  it('unwraps a successful Result', async () => {
    const backend = fakeBackend({ find_ticket: ({ reference }) => (reference === 'K7-0042' ? 't1' : null) });
    await expect(api.findTicket('K7-0042')).resolves.toBe('t1');
    expect(backend.callsTo('find_ticket')).toEqual([{ reference: 'K7-0042' }]);
  });

  it('passes camelCase arguments as tauri-specta does', async () => {
    const backend = fakeBackend({ list_queue: () => ({ total: 0, offset: 0, rows: [] }), add_note: () => null });
    await api.listQueue('mine', 100, 50);
    await api.addNote('t1', 'called back');
    expect(backend.callsTo('list_queue')).toEqual([{ queue: 'mine', offset: 100, limit: 50 }]);
    expect(backend.callsTo('add_note')).toEqual([{ ticketId: 't1', body: 'called back' }]);
  });

  it('throws the backend error as an AppError with kind and field', async () => {
    fakeBackend({ submit_contact: () => appError('validation', 'Subject is required', 'subject') });
    const error = await api.submitContact({} as never, { type: 'solved', summary: '' }).catch((e) => e);
    expect(isAppError(error)).toBe(true);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ kind: 'validation', message: 'Subject is required', field: 'subject' });
  });

  it('turns an IPC failure into an internal AppError', async () => {
    fakeBackend({});
    const error = await api.getTicket('t1').catch((e) => e);
    expect(error).toMatchObject({ kind: 'internal' });
    expect(error.message).toContain('get_ticket');
  });

  it('delivers typed event payloads', async () => {
    fakeBackend();
    const seen: number[] = [];
    const unlisten = await on.ticketsChanged((payload) => seen.push(payload.count));
    await emitEvent('tickets-changed', { count: 3 });
    expect(seen).toEqual([3]);
    unlisten();
  });
});
