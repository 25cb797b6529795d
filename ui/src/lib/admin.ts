// Pure logic of the admin screen and the password forms: times of day as HH:MM, working
// hours by weekday, the password rules the hub checks, and refusals sorted to their field.
import { problemText, failureText } from './errors';
import { toAppError, type SlaSettingsView, type WorkingHoursView } from '../ipc';

/** The hub's shortest password (MIN_PASSWORD_CHARS in crates/helpline-hub/src/auth.rs). */
export const MIN_PASSWORD_CHARS = 10;
/** The hub's longest password (MAX_PASSWORD_CHARS in crates/helpline-hub/src/admin.rs). */
export const MAX_PASSWORD_CHARS = 256;

/** ISO weekdays, Monday (1) to Sunday (7), as the SLA calendar counts them. */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;
export const WEEKDAYS: Weekday[] = [1, 2, 3, 4, 5, 6, 7];

/** Common IANA zones for the time zone field's suggestions (any other IANA name works too). */
export const COMMON_TIME_ZONES = [
  'Europe/Berlin',
  'Europe/Vienna',
  'Europe/Zurich',
  'Europe/London',
  'Europe/Paris',
  'Europe/Amsterdam',
  'Europe/Warsaw',
  'Europe/Istanbul',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'Asia/Dubai',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Australia/Sydney',
  'UTC',
];

/** Minutes after midnight as "08:00" (1440 is "24:00", the end of the day). */
export function formatMinute(minute: number): string {
  const h = Math.floor(minute / 60);
  const m = minute % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** "8:00", "08:00", "0800", "8" → minutes after midnight; null when it is no time of day (24:00 is the end of the day). */
export function parseMinute(text: string): number | null {
  const match = /^\s*(\d{1,2})(?::?(\d{2}))?\s*(?:h|uhr)?\s*$/i.exec(text);
  if (!match) return null;
  const h = Number(match[1]);
  const m = match[2] === undefined ? 0 : Number(match[2]);
  if (m > 59 || h > 24 || (h === 24 && m > 0)) return null;
  return h * 60 + m;
}

/** A working period as the form edits it (text, so a half-typed time is kept as typed). */
export interface PeriodDraft {
  start: string;
  end: string;
}

/** The settings' working hours grouped by weekday, each day's periods in order. */
export function hoursByWeekday(hours: WorkingHoursView[]): Record<Weekday, PeriodDraft[]> {
  const out = Object.fromEntries(WEEKDAYS.map((d) => [d, [] as PeriodDraft[]])) as Record<Weekday, PeriodDraft[]>;
  for (const h of [...hours].sort((a, b) => a.weekday - b.weekday || a.start_minute - b.start_minute)) {
    const day = h.weekday as Weekday;
    if (out[day]) out[day].push({ start: formatMinute(h.start_minute), end: formatMinute(h.end_minute) });
  }
  return out;
}

/**
 * The form's working hours as the backend takes them, or the first period that holds no
 * time of day (so the screen points at it before asking anyone).
 */
export function hoursFromDrafts(
  days: Record<Weekday, PeriodDraft[]>,
): { hours: WorkingHoursView[] } | { bad: { weekday: Weekday; index: number; part: 'start' | 'end' } } {
  const hours: WorkingHoursView[] = [];
  for (const weekday of WEEKDAYS) {
    for (const [index, period] of days[weekday].entries()) {
      const start = parseMinute(period.start);
      if (start === null) return { bad: { weekday, index, part: 'start' } };
      const end = parseMinute(period.end);
      if (end === null) return { bad: { weekday, index, part: 'end' } };
      hours.push({ weekday, start_minute: start, end_minute: end });
    }
  }
  return { hours };
}

/** A YYYY-MM-DD date that exists (the backend checks the calendar's year range too). */
export function isIsoDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (!match) return false;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/** The same settings, deep-copied (for the form to edit). */
export function copySettings(s: SlaSettingsView): SlaSettingsView {
  return {
    ...s,
    targets: s.targets.map((t) => ({ ...t })),
    hours: s.hours.map((h) => ({ ...h })),
    holidays: [...s.holidays],
  };
}

export type PasswordProblem = 'too_short' | 'too_long' | 'mismatch' | 'same';

/** What the password form refuses before asking the hub (the hub checks the same). */
export function checkNewPassword(current: string, next: string, repeat: string): PasswordProblem | undefined {
  const n = [...next].length;
  if (n < MIN_PASSWORD_CHARS) return 'too_short';
  if (n > MAX_PASSWORD_CHARS) return 'too_long';
  if (next !== repeat) return 'mismatch';
  if (current !== '' && current === next) return 'same';
  return undefined;
}

/** A refusal sorted to where it is shown: at its field (when the form has one), else above the form. */
export interface Refusal {
  field: string | null;
  text: string;
}

export function refusalOf(e: unknown, fields: readonly string[]): Refusal {
  const error = toAppError(e);
  const field = error.field ?? error.problem?.params.field ?? null;
  const text = error.problem ? problemText(error.problem) : failureText(error);
  return { field: field !== null && fields.includes(field) ? field : null, text };
}

/** A local day (as parseDateInput gives it: noon of that day) as YYYY-MM-DD. */
export function isoDay(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** A YYYY-MM-DD day as noon of that local day (for showing it with formatDate). */
export function dayMs(iso: string): number {
  const [y, m, d] = iso.split('-').map(Number);
  return new Date(y, m - 1, d, 12, 0).getTime();
}
