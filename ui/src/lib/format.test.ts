import { describe, expect, it } from 'vitest';
import {
  formatDate,
  formatDateTimeInput,
  formatMinutes,
  formatPercent,
  parseDateInput,
  formatDuration,
  formatRelative,
  fromDateTimeLocal,
  parseDateTimeInput,
  parseDuration,
  toDateTimeLocal,
  tomorrowAt,
} from './format';

describe('format', () => {
  it('shows the call timer as mm:ss and h:mm:ss', () => {
    expect(formatDuration(0)).toBe('00:00');
    expect(formatDuration(65)).toBe('01:05');
    expect(formatDuration(3_725)).toBe('1:02:05');
  });

  it('formats relative times in the locale', () => {
    const now = Date.UTC(2025, 5, 1, 12);
    expect(formatRelative(now + 2 * 3_600_000, now, 'en-GB')).toBe('in 2 hours');
    expect(formatRelative(now - 5 * 60_000, now, 'en-GB')).toBe('5 minutes ago');
    expect(formatRelative(now - 2 * 3_600_000, now, 'de-DE')).toBe('vor 2 Stunden');
    expect(formatRelative(now + 10_000, now, 'en-GB')).toBe('now');
  });

  it('defaults follow-ups to tomorrow 09:00, written in the app language', () => {
    const now = new Date(2025, 2, 31, 16, 20).getTime();
    const due = tomorrowAt(9, now);
    // The call form fills the follow-up field with these (English is the tests' language).
    expect(toDateTimeLocal(due)).toBe('01/04/2025 09:00');
    expect(fromDateTimeLocal('01/04/2025 09:00')).toBe(due);
    expect(toDateTimeLocal(due, 'de-DE')).toBe('01.04.2025 09:00');
    expect(fromDateTimeLocal('01.04.2025 9:00', 'de-DE')).toBe(due);
    expect(fromDateTimeLocal('')).toBeNull();
    expect(fromDateTimeLocal('01.04.')).toBeNull();
  });

  describe('the date-time field', () => {
    const now = new Date(2026, 5, 15, 10, 0).getTime();
    const at = (y: number, mo: number, d: number, h: number, mi: number) => new Date(y, mo - 1, d, h, mi).getTime();

    it('shows German as "03.12.2026 14:30" and reads it back', () => {
      const ms = at(2026, 12, 3, 14, 30);
      expect(formatDateTimeInput(ms, 'de-DE')).toBe('03.12.2026 14:30');
      expect(parseDateTimeInput('03.12.2026 14:30', 'de-DE', now)).toBe(ms);
      expect(parseDateTimeInput(formatDateTimeInput(at(2027, 1, 9, 0, 5), 'de-DE'), 'de-DE', now)).toBe(at(2027, 1, 9, 0, 5));
    });

    it('shows English as "03/12/2026 14:30" (day first, en-GB) and reads it back', () => {
      const ms = at(2026, 12, 3, 14, 30);
      expect(formatDateTimeInput(ms, 'en-GB')).toBe('03/12/2026 14:30');
      expect(parseDateTimeInput('03/12/2026 14:30', 'en-GB', now)).toBe(ms);
      expect(parseDateTimeInput('3/12/2026 2:30 pm', 'en-GB', now)).toBe(ms);
      expect(parseDateTimeInput('3/12/2026 12:15 AM', 'en-GB', now)).toBe(at(2026, 12, 3, 0, 15));
      // A month-first locale reads the same text the other way round.
      expect(parseDateTimeInput('12/03/2026 2:30 PM', 'en-US', now)).toBe(ms);
    });

    it('is lenient about spaces, digits, separators and a missing year', () => {
      const ms = at(2026, 12, 3, 9, 5);
      const typings = ['3.12.2026 9:05', '  03.12.2026   09:05 ', '3. 12. 2026 9.05', '3.12.26 9:05', '3.12.2026, 9:05', '3-12-2026 9:05'];
      for (const typed of typings) {
        expect(parseDateTimeInput(typed, 'de-DE', now), typed).toBe(ms);
      }
      // No year: this year's.
      expect(parseDateTimeInput('3.12. 9:05', 'de-DE', now)).toBe(ms);
      expect(parseDateTimeInput('3.12 9:05', 'de-DE', now)).toBe(ms);
      // What the field held as <input type="datetime-local"> (a draft from then).
      expect(parseDateTimeInput('2026-12-03T09:05', 'de-DE', now)).toBe(ms);
    });

    it('calls empty nothing and half-typed or impossible values invalid (NaN)', () => {
      expect(parseDateTimeInput('', 'de-DE', now)).toBeNull();
      expect(parseDateTimeInput('   ', 'en-GB', now)).toBeNull();
      const halfTyped = ['03.12.20', '03.12.2026', '03.12.2026 14', '03.12.2026 14:', '03.12.2026 14:3'];
      const impossible = ['31.02.2026 10:00', '03.13.2026 10:00', '03.12.2026 25:00', '03.12.2026 14:60', '3/12/2026 13:00 pm'];
      for (const typed of [...halfTyped, ...impossible, 'morgen 9:00']) {
        expect(parseDateTimeInput(typed, 'de-DE', now), typed).toBeNaN();
      }
    });

    it('leaves the past to the caller: a past time reads as that time', () => {
      expect(parseDateTimeInput('01.01.2020 08:00', 'de-DE', now)).toBe(at(2020, 1, 1, 8, 0));
    });
  });

  it('reads durations as minutes or mm:ss', () => {
    expect(parseDuration('')).toBe(0);
    expect(parseDuration('5')).toBe(300);
    expect(parseDuration('5:30')).toBe(330);
    expect(parseDuration('five')).toBeNull();
    expect(parseDuration('5:75')).toBeNull();
  });

  it('writes the dashboard\'s shares and times in the locale', () => {
    expect(formatPercent(0.62, 'de-DE')).toBe('62\u00a0%');
    expect(formatPercent(0.055, 'en-GB')).toBe('5.5%');
    expect(formatMinutes(0.4, 'de-DE')).toBe('< 1 Min.');
    expect(formatMinutes(12.4, 'de-DE')).toBe('12 Min.');
    expect(formatMinutes(150, 'de-DE')).toBe('2,5 Std.');
    expect(formatMinutes(4_320, 'en-GB')).toBe('3 days');
  });

  it('reads a typed date as noon of that local day', () => {
    const noon = new Date(2026, 10, 30, 12).getTime();
    expect(parseDateInput('30.11.2026', 'de-DE')).toBe(noon);
    expect(parseDateInput('30/11/26', 'en-GB')).toBe(noon);
    expect(parseDateInput('2026-11-30', 'de-DE')).toBe(noon);
    expect(parseDateInput('30.11.', 'de-DE', noon)).toBe(noon);
    expect(parseDateInput('', 'de-DE')).toBeNull();
    expect(parseDateInput('31.11.2026', 'de-DE')).toBeNaN();
    expect(parseDateInput('gestern', 'de-DE')).toBeNaN();
    expect(formatDate(noon, 'de-DE')).toBe('30.11.2026');
    expect(formatDate(Date.UTC(2026, 10, 30, 23, 30), 'de-DE', 'Europe/Berlin', true)).toBe('01.12.');
  });
});
