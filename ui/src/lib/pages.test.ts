import { describe, expect, it } from 'vitest';
import { pagesForRange, pagesToEvict } from './pages';

describe('queue paging', () => {
  it('asks for the pages covering the visible rows', () => {
    expect(pagesForRange(0, 30, 100_000, 100)).toEqual([0]);
    expect(pagesForRange(95, 130, 100_000, 100)).toEqual([0, 1]);
    expect(pagesForRange(99_990, 100_010, 100_000, 100)).toEqual([999]);
  });

  it('asks for nothing past the end or for an empty queue', () => {
    expect(pagesForRange(0, 30, 0, 100)).toEqual([]);
    expect(pagesForRange(200, 230, 150, 100)).toEqual([]);
  });

  it('evicts the pages farthest from the visible ones', () => {
    expect(pagesToEvict([0, 1, 2, 50, 51], [50], 3)).toEqual([0, 1]);
    expect(pagesToEvict([0, 1], [0], 3)).toEqual([]);
  });
});
