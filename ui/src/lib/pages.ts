// Paging for the virtualised queue: which pages of rows the visible range needs,
// and which cached pages can be dropped so memory stays flat with 100k tickets.

export const PAGE_SIZE = 100;

/** Page indexes covering rows [start, end), clamped to the total. */
export function pagesForRange(start: number, end: number, total: number, pageSize = PAGE_SIZE): number[] {
  const last = Math.min(end, total) - 1;
  if (last < Math.max(0, start)) return [];
  const first = Math.floor(Math.max(0, start) / pageSize);
  const pages: number[] = [];
  for (let page = first; page <= Math.floor(last / pageSize); page++) pages.push(page);
  return pages;
}

/** Keeps at most `keep` cached pages, dropping those farthest from the visible ones. */
export function pagesToEvict(cached: Iterable<number>, visible: number[], keep: number): number[] {
  const all = [...cached];
  if (all.length <= keep || visible.length === 0) return [];
  const low = Math.min(...visible);
  const high = Math.max(...visible);
  const distance = (page: number) => (page < low ? low - page : page > high ? page - high : 0);
  return all
    .filter((page) => distance(page) > 0)
    .sort((a, b) => distance(b) - distance(a))
    .slice(0, all.length - keep);
}
