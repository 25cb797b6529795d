// What each agent last saw of each ticket: the ticket's `updated_at` when they last had
// it open. The queue marks a ticket that changed since, so an agent returning to a
// ticket they worked on sees that something happened without opening every row.
// Kept per agent in localStorage (this desk only), bounded to the most recently opened.

/** Enough for months of tickets; the oldest-opened are forgotten first. */
export const MAX_SEEN = 2000;
const KEY_PREFIX = 'helpline.seen.';

/** Per agent: ticket id → updated_at, in the order opened (most recent last). */
const cache = new Map<string, Map<string, number>>();

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Storage can be refused (privacy settings); the marker is a convenience, not data.
    return null;
  }
}

function load(agentId: string): Map<string, number> {
  let seen = cache.get(agentId);
  if (seen) return seen;
  seen = new Map();
  try {
    const stored: unknown = JSON.parse(storage()?.getItem(KEY_PREFIX + agentId) ?? '[]');
    if (Array.isArray(stored)) {
      for (const entry of stored) {
        if (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number') seen.set(entry[0], entry[1]);
      }
    }
  } catch {
    // A damaged entry only costs the markers.
  }
  cache.set(agentId, seen);
  return seen;
}

/** Records that `agentId` now sees `ticketId` as of `updatedAt` (on opening it, and after
 *  each reload while it is open, so the agent's own changes never mark it). */
export function recordSeen(agentId: string | undefined, ticketId: string, updatedAt: number): void {
  if (!agentId) return;
  const seen = load(agentId);
  // Re-inserted at the end: the Map's order is the order opened.
  seen.delete(ticketId);
  seen.set(ticketId, updatedAt);
  for (const oldest of seen.keys()) {
    if (seen.size <= MAX_SEEN) break;
    seen.delete(oldest);
  }
  try {
    storage()?.setItem(KEY_PREFIX + agentId, JSON.stringify([...seen]));
  } catch {
    // Full or refused: the marker is lost, nothing else.
  }
}

/** Whether the ticket changed since `agentId` last opened it; false for one never opened. */
export function updatedSinceSeen(agentId: string | undefined, ticket: { id: string; updated_at: number }): boolean {
  if (!agentId) return false;
  const seen = load(agentId).get(ticket.id);
  return seen !== undefined && ticket.updated_at > seen;
}

/** Forgets the in-memory copy, so the next read comes from localStorage (for tests). */
export function resetSeenCache(): void {
  cache.clear();
}
