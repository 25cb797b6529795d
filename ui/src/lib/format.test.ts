import { describe, expect, it } from 'vitest';
import { formatDuration, formatRelative, fromDateTimeLocal, parseDuration, toDateTimeLocal, tomorrowAt } from './format';

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

  it('round-trips datetime-local values and defaults follow-ups to tomorrow 09:00', () => {
    const now = new Date(2025, 2, 31, 16, 20).getTime();
    const due = tomorrowAt(9, now);
    expect(toDateTimeLocal(due)).toBe('2025-04-01T09:00');
    expect(fromDateTimeLocal('2025-04-01T09:00')).toBe(due);
    expect(fromDateTimeLocal('')).toBeNull();
  });

  it('reads durations as minutes or mm:ss', () => {
    expect(parseDuration('')).toBe(0);
    expect(parseDuration('5')).toBe(300);
    expect(parseDuration('5:30')).toBe(330);
    expect(parseDuration('five')).toBeNull();
    expect(parseDuration('5:75')).toBeNull();
  });
});
