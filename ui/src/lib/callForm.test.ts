import { describe, expect, it } from 'vitest';
import {
  addUnique,
  elapsedSeconds,
  emptyCallForm,
  hasContent,
  kbQuery,
  parseDraft,
  serializeDraft,
  stepsTriedFromKb,
  toContactForm,
} from './callForm';

describe('call form model', () => {
  it('an empty form has no content; typing anything gives it content', () => {
    const form = emptyCallForm();
    expect(hasContent(form)).toBe(false);
    expect(hasContent({ ...form, subject: 'VPN' })).toBe(true);
    expect(hasContent({ ...form, caller: '+49 151' })).toBe(true);
    expect(hasContent({ ...form, escalation: { ...form.escalation, reason: 'x' } })).toBe(true);
  });

  it('counts call time across a restart without counting the time closed', () => {
    const start = 1_000_000;
    const form = { ...emptyCallForm(), subject: 'VPN', running_since: start };
    expect(elapsedSeconds(form, start + 65_000)).toBe(65);

    const body = serializeDraft(form, start + 65_000);
    const restored = parseDraft(body, start + 3_600_000);
    expect(restored).not.toBeNull();
    expect(elapsedSeconds(restored!, start + 3_600_000)).toBe(65);
    expect(elapsedSeconds(restored!, start + 3_610_000)).toBe(75);
  });

  it('round-trips every field through a draft', () => {
    const form = {
      ...emptyCallForm(),
      channel: 'email' as const,
      caller: 'max@example.org',
      subject: 'Printer',
      description: 'Paper jam',
      used_kb: ['kb1'],
      opened_kb: [{ id: 'kb1', title: 'Clear a paper jam' }],
      dialog: 'escalate' as const,
      escalation: { reason: 'Hardware', steps_tried: 'KB', handover_summary: 'Needs a technician' },
    };
    const restored = parseDraft(serializeDraft(form, 0), 0);
    expect(restored).toEqual({ ...form, running_since: null });
  });

  it('ignores drafts it cannot read', () => {
    expect(parseDraft(null, 0)).toBeNull();
    expect(parseDraft('not json', 0)).toBeNull();
    expect(parseDraft('{"v":99,"form":{}}', 0)).toBeNull();
  });

  it('builds the ContactForm the backend expects', () => {
    const form = {
      ...emptyCallForm(),
      subject: '  VPN down ',
      customer: null,
      suggested_kb: ['a', 'b'],
      used_kb: ['b'],
      opened_kb: [
        { id: 'b', title: 'B' },
        { id: 'a', title: 'A' },
        { id: 'b', title: 'B again' },
      ],
      running_since: 0,
    };
    expect(toContactForm(form, 42_500)).toEqual({
      contact: {
        channel: 'phone',
        direction: 'inbound',
        customer_id: null,
        category_id: null,
        priority: 'normal',
        subject: 'VPN down',
        description: '',
        duration_seconds: 42,
        caller: null,
      },
      suggested_kb: ['a', 'b'],
      used_kb: ['b'],
      opened_kb: ['b', 'a'],
      call_id: null,
    });
  });

  it("sends the phone system's call id, and its talk time once the call ended", () => {
    const form = { ...emptyCallForm(), subject: 'VPN', call_id: 'c-1', running_since: 1_000 };
    expect(toContactForm(form, 61_000)).toMatchObject({ call_id: 'c-1', contact: { duration_seconds: 60 } });
    const ended = { ...form, phone_seconds: 125, running_since: null };
    expect(elapsedSeconds(ended, 999_000)).toBe(125);
    // A draft keeps both; the timer does not start again after a restart.
    const restored = parseDraft(serializeDraft(ended, 999_000), 2_000_000);
    expect(restored).toMatchObject({ call_id: 'c-1', phone_seconds: 125, running_since: null });
    expect(elapsedSeconds(restored!, 3_000_000)).toBe(125);
  });

  it('keeps suggested ids unique in first-seen order', () => {
    expect(addUnique(['a'], ['b', 'a', 'c', 'b'])).toEqual(['a', 'b', 'c']);
    const same = ['a'];
    expect(addUnique(same, ['a'])).toBe(same);
  });

  it('queries the KB with subject and description', () => {
    expect(kbQuery({ subject: 'VPN', description: '' })).toBe('VPN');
    expect(kbQuery({ subject: 'VPN', description: 'timeout' })).toBe('VPN\ntimeout');
    expect(kbQuery({ subject: ' ', description: ' ' })).toBe('');
  });

  it('pre-fills steps tried from opened articles', () => {
    expect(stepsTriedFromKb([{ id: '1', title: 'Restart' }, { id: '2', title: 'Reset' }], 'KB: ')).toBe(
      'KB: Restart\nKB: Reset',
    );
  });
});
