// Phone calls as the window shows them: which number to show or dial, the day a call
// log covers, and the lists admins type (phone identities, allowed sources).
import type { Direction } from '../ipc';

/** The two ends of a call's number: the E.164 form where the hub could parse one, and what the PBX sent. */
export interface CallNumber {
  number: string;
  number_e164: string | null;
}

/**
 * The number to show and dial, or null for an unknown number: the PBX sent `anonymous`,
 * nothing, or letters (the hub keeps those as given and parses no E.164 from them).
 */
export function knownNumber(call: CallNumber): string | null {
  return call.number_e164 && call.number_e164.trim() !== '' ? call.number_e164 : null;
}

/** The PBX's direction (`in`/`out`) as the call form's. */
export function formDirection(direction: string): Direction {
  return direction === 'out' ? 'outbound' : 'inbound';
}

/** Local midnight to the next midnight around `now`: "today" for the call log (ms, `[from, to)`). */
export function dayBounds(now: number): [number, number] {
  const start = new Date(now);
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return [start.getTime(), end.getTime()];
}

/**
 * Whether a text shown as a contact detail reads as a phone number worth a call button
 * (digits with the usual separators, at least five digits), not an e-mail address or a name.
 */
export function isDialable(text: string | null | undefined): text is string {
  if (!text) return false;
  const value = text.trim();
  if (!/^\+?[\d\s/().-]+$/.test(value)) return false;
  return value.replace(/\D/g, '').length >= 5;
}

/** A list typed one per line or separated by commas: trimmed, without empty entries or repeats. */
export function splitList(text: string): string[] {
  const seen = new Set<string>();
  for (const part of text.split(/[,\n;]/)) {
    const value = part.trim();
    if (value !== '') seen.add(value);
  }
  return [...seen];
}

/** A list as the admin edits it: one entry per line. */
export function joinList(list: readonly string[] | null | undefined): string {
  return (list ?? []).join('\n');
}

/** Whether two lists hold the same entries in the same order. */
export function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

/** The URL a PBX posts its events to: the hub's address and the integration's token. */
export function ctiUrl(hubUrl: string, token: string): string {
  return `${hubUrl.replace(/\/+$/, '')}/v1/cti/${encodeURIComponent(token)}`;
}

/** A call's time of day: "14:05". */
export function formatClock(ms: number, locale: string): string {
  return new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}
