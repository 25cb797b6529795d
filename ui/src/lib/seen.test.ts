import { beforeEach, describe, expect, it } from 'vitest';
import { MAX_SEEN, recordSeen, resetSeenCache, updatedSinceSeen } from './seen';

describe('seen', () => {
  beforeEach(() => {
    localStorage.clear();
    resetSeenCache();
  });

  it('marks a ticket that changed since the agent last opened it, and only one opened before', () => {
    recordSeen('a1', 't1', 1_000);
    expect(updatedSinceSeen('a1', { id: 't1', updated_at: 1_000 })).toBe(false);
    expect(updatedSinceSeen('a1', { id: 't1', updated_at: 2_000 })).toBe(true);
    expect(updatedSinceSeen('a1', { id: 't2', updated_at: 2_000 })).toBe(false);
    // Opening it again (or the reload after the agent's own action) clears the mark.
    recordSeen('a1', 't1', 2_000);
    expect(updatedSinceSeen('a1', { id: 't1', updated_at: 2_000 })).toBe(false);
  });

  it('keeps each agent’s view apart, and nothing without a signed-in agent', () => {
    recordSeen('a1', 't1', 1_000);
    expect(updatedSinceSeen('a2', { id: 't1', updated_at: 2_000 })).toBe(false);
    recordSeen(undefined, 't1', 1_000);
    expect(updatedSinceSeen(undefined, { id: 't1', updated_at: 2_000 })).toBe(false);
  });

  it('survives a restart through localStorage', () => {
    recordSeen('a1', 't1', 1_000);
    resetSeenCache();
    expect(updatedSinceSeen('a1', { id: 't1', updated_at: 2_000 })).toBe(true);
  });

  it('ignores damaged storage', () => {
    localStorage.setItem('helpline.seen.a1', '{not json');
    expect(updatedSinceSeen('a1', { id: 't1', updated_at: 2_000 })).toBe(false);
    recordSeen('a1', 't1', 1_000);
    expect(updatedSinceSeen('a1', { id: 't1', updated_at: 2_000 })).toBe(true);
  });

  it(`keeps at most ${MAX_SEEN} tickets, forgetting the one opened longest ago`, () => {
    // One more than fits: t0 goes.
    for (let i = 0; i <= MAX_SEEN; i++) recordSeen('a1', `t${i}`, 1_000);
    // t1 is opened again, so the next one to go is t2, not t1.
    recordSeen('a1', 't1', 1_000);
    recordSeen('a1', 'extra', 1_000);
    resetSeenCache();
    const stored = JSON.parse(localStorage.getItem('helpline.seen.a1') ?? '[]') as [string, number][];
    expect(stored).toHaveLength(MAX_SEEN);
    const ids = stored.map(([id]) => id);
    expect(ids).not.toContain('t0');
    expect(ids).not.toContain('t2');
    expect(ids).toContain('t1');
    expect(ids.at(-1)).toBe('extra');
  });
});
