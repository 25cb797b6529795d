import { describe, expect, it } from 'vitest';
import { ctiUrl, dayBounds, formDirection, isDialable, joinList, knownNumber, sameList, splitList } from './calls';

describe('calls', () => {
  it('shows and dials only a number the hub could read', () => {
    expect(knownNumber({ number: '030 1234567', number_e164: '+49301234567' })).toBe('+49301234567');
    for (const raw of ['anonymous', '', 'Max']) expect(knownNumber({ number: raw, number_e164: null })).toBeNull();
    expect(knownNumber({ number: ' ', number_e164: ' ' })).toBeNull();
  });

  it('takes phone numbers as dialable, not e-mail addresses or names', () => {
    expect(isDialable('+49 30 123456')).toBe(true);
    expect(isDialable('(030) 123-456')).toBe(true);
    expect(isDialable('max@muster.de')).toBe(false);
    expect(isDialable('Max Mustermann')).toBe(false);
    expect(isDialable('112')).toBe(false);
    expect(isDialable(null)).toBe(false);
  });

  it('splits what admins type by commas or lines, without blanks or repeats', () => {
    expect(splitList(' 201, anna@example.org\n\nAnna Agent\n201 ')).toEqual(['201', 'anna@example.org', 'Anna Agent']);
    expect(splitList('')).toEqual([]);
    expect(joinList(['a', 'b'])).toBe('a\nb');
    expect(sameList(['a'], ['a'])).toBe(true);
    expect(sameList(['a'], ['a', 'b'])).toBe(false);
  });

  it("makes the PBX's URL from the hub address and the token", () => {
    expect(ctiUrl('https://hub.example.org/', 'a b')).toBe('https://hub.example.org/v1/cti/a%20b');
  });

  it('covers the local day', () => {
    const now = new Date(2026, 11, 7, 15, 30).getTime();
    const [from, to] = dayBounds(now);
    expect(new Date(from).getHours()).toBe(0);
    expect(from).toBeLessThan(now);
    expect(to - from).toBeGreaterThanOrEqual(23 * 3_600_000);
    expect(to).toBeGreaterThan(now);
    expect(formDirection('out')).toBe('outbound');
    expect(formDirection('in')).toBe('inbound');
  });
});
