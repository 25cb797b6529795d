import { describe, expect, it } from 'vitest';
import { checkNewPassword, formatMinute, hoursByWeekday, hoursFromDrafts, isIsoDate, parseMinute } from './admin';

describe('admin helpers', () => {
  it('read and write times of day as hh:mm, 24:00 being the end of the day', () => {
    expect(parseMinute('08:00')).toBe(480);
    expect(parseMinute('8')).toBe(480);
    expect(parseMinute('1730')).toBe(1050);
    expect(parseMinute('24:00')).toBe(1440);
    expect(parseMinute('24:30')).toBeNull();
    expect(parseMinute('12:60')).toBeNull();
    expect(parseMinute('abc')).toBeNull();
    expect(formatMinute(1440)).toBe('24:00');
    expect(formatMinute(65)).toBe('01:05');
  });

  it('group working hours by weekday and back, naming the first bad time', () => {
    const days = hoursByWeekday([
      { weekday: 1, start_minute: 780, end_minute: 1020 },
      { weekday: 1, start_minute: 480, end_minute: 720 },
    ]);
    expect(days[1]).toEqual([
      { start: '08:00', end: '12:00' },
      { start: '13:00', end: '17:00' },
    ]);
    expect(days[7]).toEqual([]);
    expect(hoursFromDrafts(days)).toEqual({
      hours: [
        { weekday: 1, start_minute: 480, end_minute: 720 },
        { weekday: 1, start_minute: 780, end_minute: 1020 },
      ],
    });
    days[1][1].end = '17:9';
    expect(hoursFromDrafts(days)).toEqual({ bad: { weekday: 1, index: 1, part: 'end' } });
  });

  it('check a new password as the hub does', () => {
    expect(checkNewPassword('alt', 'kurz', 'kurz')).toBe('too_short');
    expect(checkNewPassword('alt', 'lang genug!', 'lang genug?')).toBe('mismatch');
    expect(checkNewPassword('lang genug!', 'lang genug!', 'lang genug!')).toBe('same');
    expect(checkNewPassword('alt', 'x'.repeat(257), 'x'.repeat(257))).toBe('too_long');
    expect(checkNewPassword('alt', 'lang genug!', 'lang genug!')).toBeUndefined();
  });

  it('know which dates exist', () => {
    expect(isIsoDate('2026-12-24')).toBe(true);
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('24.12.2026')).toBe(false);
  });
});
