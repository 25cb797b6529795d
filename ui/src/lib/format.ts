// Dates, times and durations, formatted with Intl in the current UI locale.
import { i18n } from './i18n/index.svelte';

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

function dateTimeFormat(locale: string): Intl.DateTimeFormat {
  let format = dateTimeFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    dateTimeFormats.set(locale, format);
  }
  return format;
}

function relativeFormat(locale: string): Intl.RelativeTimeFormat {
  let format = relativeFormats.get(locale);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });
    relativeFormats.set(locale, format);
  }
  return format;
}

export function formatCount(n: number, locale: string): string {
  return n.toLocaleString(locale);
}

const BYTE_UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte'] as const;

/** A file size for people: "820 byte", "1.4 MB", "1,4 MB" (powers of 1024, as file managers count). */
export function formatBytes(size: number, locale: string): string {
  let value = size;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: BYTE_UNITS[unit],
    unitDisplay: 'short',
    maximumFractionDigits: unit === 0 || value >= 10 ? 0 : 1,
  }).format(value);
}

export function formatDateTime(ms: number, locale: string): string {
  return dateTimeFormat(locale).format(new Date(ms));
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** "in 3 hours", "vor 5 Minuten"; under a minute is "now". */
export function formatRelative(ms: number, now: number, locale: string): string {
  const diff = ms - now;
  const format = relativeFormat(locale);
  for (const [unit, size] of UNITS) {
    if (Math.abs(diff) >= size) return format.format(Math.trunc(diff / size), unit);
  }
  return format.format(0, 'second');
}

/** Call timer display: mm:ss, or h:mm:ss from one hour on. */
export function formatDuration(totalSeconds: number): string {
  const seconds = Math.max(0, Math.floor(totalSeconds));
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

// ---- the date-time field ---------------------------------------------------------------
// A text field, not <input type="datetime-local">: WebKit shows that one in the OS locale,
// whatever language the app speaks. The field shows and reads the app language's numbers.

const inputFormats = new Map<string, Intl.DateTimeFormat>();

function inputFormat(locale: string): Intl.DateTimeFormat {
  let format = inputFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, {
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    inputFormats.set(locale, format);
  }
  return format;
}

/** A time as the date-time field shows it, in local time: "03.12.2026 14:30" (de-DE), "03/12/2026 14:30" (en-GB). */
export function formatDateTimeInput(ms: number, locale: string): string {
  const parts = inputFormat(locale).formatToParts(new Date(ms));
  const hour = parts.findIndex((part) => part.type === 'hour');
  // Intl puts ", " between date and time; the field has one space, as agents type it.
  return parts.map((part, i) => (i === hour - 1 && part.type === 'literal' ? ' ' : part.value)).join('');
}

/** Day, month, optional year (2 or 4 digits), then hours and minutes; spaces are free around the separators. */
const LOCAL_INPUT =
  /^(\d{1,2})\s*[./-]\s*(\d{1,2})\s*(?:[./-]\s*(\d{4}|\d{2})?)?\s*(?:,\s*|\s)\s*(\d{1,2})\s*[:.]\s*(\d{2})\s*(am|pm|a\.m\.|p\.m\.)?$/;
/** What the field held as an <input type="datetime-local"> (drafts kept from then). */
const ISO_INPUT = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:t|\s+)(\d{1,2}):(\d{2})$/;

/**
 * Reads what was typed into the date-time field, as local time. Lenient: the locale's
 * order of day and month, `.` `/` or `-` between them, one or two digits for day, month
 * and hour, a two-digit year as 20xx, no year as the year of `now` ("3.12. 14:30"), `:`
 * or `.` in the time, am/pm, and ISO ("2026-12-03T14:30").
 * null when empty, NaN when it is no date and time (half-typed, 31.02., 25:00).
 */
export function parseDateTimeInput(text: string, locale: string, now: number = Date.now()): number | null {
  const value = text.trim().toLowerCase();
  if (value === '') return null;
  let year: number, month: number, day: number, hour: number, minute: number;
  const iso = ISO_INPUT.exec(value);
  const local = iso ? null : LOCAL_INPUT.exec(value);
  if (iso) {
    [year, month, day, hour, minute] = iso.slice(1).map(Number);
  } else if (local) {
    const [, first, second, y, h, mi, period] = local;
    [day, month] = monthFirst(locale) ? [Number(second), Number(first)] : [Number(first), Number(second)];
    year = y === undefined ? new Date(now).getFullYear() : y.length === 2 ? 2000 + Number(y) : Number(y);
    hour = Number(h);
    minute = Number(mi);
    if (period) {
      if (hour < 1 || hour > 12) return NaN;
      hour = (hour % 12) + (period.startsWith('p') ? 12 : 0);
    }
  } else {
    return NaN;
  }
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return NaN;
  const date = new Date(year, month - 1, day, hour, minute);
  // Date rolls 31.02. over into March: a day the month does not have is a typing error.
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return NaN;
  return date.getTime();
}

function monthFirst(locale: string): boolean {
  const order = inputFormat(locale)
    .formatToParts(0)
    .map((part) => part.type);
  return order.indexOf('month') < order.indexOf('day');
}

/** The follow-up field's text for a time, in the app's language (the call form fills it in). */
export function toDateTimeLocal(ms: number, locale: string = i18n.intlLocale): string {
  return formatDateTimeInput(ms, locale);
}

/** Reads the follow-up field's text in the app's language; null when empty or unreadable. */
export function fromDateTimeLocal(value: string, locale: string = i18n.intlLocale): number | null {
  const ms = parseDateTimeInput(value, locale);
  return ms === null || Number.isNaN(ms) ? null : ms;
}

/** Default follow-up: tomorrow at 09:00 local time. */
export function tomorrowAt(hour: number, now: number): number {
  const d = new Date(now);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, hour, 0).getTime();
}

/** Reads a duration typed as minutes ("5") or minutes:seconds ("5:30"); null when unreadable. */
export function parseDuration(input: string): number | null {
  const value = input.trim();
  if (value === '') return 0;
  const match = /^(\d{1,4})(?::([0-5]?\d))?$/.exec(value);
  if (!match) return null;
  return Number(match[1]) * 60 + Number(match[2] ?? 0);
}

// ---- the dashboard's numbers -------------------------------------------------------------

const numberFormats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale}|${JSON.stringify(options)}`;
  let format = numberFormats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, options);
    numberFormats.set(key, format);
  }
  return format;
}

/** A share between 0 and 1 as a percentage: "42 %" (de-DE), "42%" (en-GB); one decimal under 10 %. */
export function formatPercent(share: number, locale: string): string {
  const digits = share > 0 && share < 0.1 ? 1 : 0;
  return numberFormat(locale, { style: 'percent', maximumFractionDigits: digits }).format(share);
}

/**
 * A span of minutes as the unit that reads best: "12 Min." under an hour, "3,5 Std." under
 * two days, "2,3 Tg." beyond (Intl's own unit words, so both languages say it their way).
 */
export function formatMinutes(minutes: number, locale: string): string {
  const unit = (value: number, name: 'minute' | 'hour' | 'day', digits: number) =>
    numberFormat(locale, { style: 'unit', unit: name, unitDisplay: 'short', maximumFractionDigits: digits }).format(value);
  if (minutes < 1) return `< ${unit(1, 'minute', 0)}`;
  if (minutes < 60) return unit(Math.round(minutes), 'minute', 0);
  if (minutes < 48 * 60) return unit(minutes / 60, 'hour', 1);
  return unit(minutes / (24 * 60), 'day', 1);
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * A day as a date, in `timeZone` when given (the dashboard counts days in the
 * organisation's zone): "03.12.2026" (de-DE) or, `short`, "03.12." for chart axes.
 */
export function formatDate(ms: number, locale: string, timeZone?: string, short = false): string {
  const key = `${locale}|${timeZone ?? ''}|${short}`;
  let format = dateFormats.get(key);
  if (!format) {
    const options: Intl.DateTimeFormatOptions = short
      ? { day: '2-digit', month: '2-digit' }
      : { year: 'numeric', month: '2-digit', day: '2-digit' };
    try {
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone });
    } catch {
      // An unknown zone name: the desktop's own zone is the best guess left.
      format = new Intl.DateTimeFormat(locale, options);
    }
    dateFormats.set(key, format);
  }
  return format.format(new Date(ms));
}

/** The date field's text for a day: "03.12.2026" (de-DE), "03/12/2026" (en-GB). */
export function formatDateInput(ms: number, locale: string): string {
  return formatDate(ms, locale);
}

/**
 * Reads a typed date (day, month, optional year, in the locale's order, `.` `/` or `-`
 * between) as noon of that local day, so the day stays the same in any time zone within
 * twelve hours of this one. null when empty, NaN when it is no date.
 */
export function parseDateInput(text: string, locale: string, now: number = Date.now()): number | null {
  const value = text.trim();
  if (value === '') return null;
  const iso = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(value);
  const local = iso ? null : /^(\d{1,2})\s*[./-]\s*(\d{1,2})\s*(?:[./-]\s*(\d{4}|\d{2})?)?$/.exec(value);
  let year: number, month: number, day: number;
  if (iso) {
    [year, month, day] = iso.slice(1).map(Number);
  } else if (local) {
    const [, first, second, y] = local;
    [day, month] = monthFirst(locale) ? [Number(second), Number(first)] : [Number(first), Number(second)];
    year = y === undefined ? new Date(now).getFullYear() : y.length === 2 ? 2000 + Number(y) : Number(y);
  } else {
    return NaN;
  }
  if (month < 1 || month > 12 || day < 1) return NaN;
  const date = new Date(year, month - 1, day, 12, 0);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return NaN;
  return date.getTime();
}
