import { describe, expect, it } from 'vitest';
import {
  DESCRIPTION_MAX,
  SUBJECT_MAX,
  callerKind,
  hasErrors,
  looksLikeReference,
  validateContact,
  validateEscalation,
  validateFollowUp,
  validateNote,
  validateSolve,
} from './validation';

describe('validateContact', () => {
  it('requires a subject', () => {
    expect(validateContact({ subject: '', description: '' })).toEqual({ subject: 'required' });
    expect(validateContact({ subject: '   ', description: 'x' })).toEqual({ subject: 'required' });
  });

  it('accepts a subject up to the limit and refuses one past it', () => {
    expect(validateContact({ subject: 'a'.repeat(SUBJECT_MAX), description: '' })).toEqual({});
    expect(validateContact({ subject: 'a'.repeat(SUBJECT_MAX + 1), description: '' })).toEqual({ subject: 'too_long' });
  });

  it('allows an empty description but limits its length', () => {
    expect(validateContact({ subject: 'Printer', description: '' })).toEqual({});
    expect(validateContact({ subject: 'Printer', description: 'd'.repeat(DESCRIPTION_MAX) })).toEqual({});
    expect(validateContact({ subject: 'Printer', description: 'd'.repeat(DESCRIPTION_MAX + 1) })).toEqual({
      description: 'too_long',
    });
  });
});

describe('outcome dialogs', () => {
  it('requires a solution summary', () => {
    expect(validateSolve({ summary: ' ' })).toEqual({ summary: 'required' });
    expect(validateSolve({ summary: 'Reset the router' })).toEqual({});
  });

  it('requires reason, steps tried and handover summary to escalate', () => {
    const empty = { reason: '', steps_tried: '', handover_summary: '' };
    expect(validateEscalation(empty)).toEqual({
      reason: 'required',
      steps_tried: 'required',
      handover_summary: 'required',
    });
    expect(validateEscalation({ ...empty, reason: 'r', steps_tried: 's' })).toEqual({ handover_summary: 'required' });
    expect(hasErrors(validateEscalation({ reason: 'r', steps_tried: 's', handover_summary: 'h' }))).toBe(false);
  });

  it('requires a follow-up time in the future', () => {
    const now = Date.UTC(2025, 0, 1, 12);
    expect(validateFollowUp({ due: null, note: '' }, now)).toEqual({ due: 'required' });
    expect(validateFollowUp({ due: NaN, note: '' }, now)).toEqual({ due: 'invalid' });
    expect(validateFollowUp({ due: now - 1, note: '' }, now)).toEqual({ due: 'in_past' });
    expect(validateFollowUp({ due: now + 60_000, note: '' }, now)).toEqual({});
  });

  it('requires a note body', () => {
    expect(validateNote({ body: '' })).toEqual({ body: 'required' });
    expect(validateNote({ body: 'Called back' })).toEqual({});
  });
});

describe('inputs that decide behaviour', () => {
  it.each([
    ['K7-0042', true],
    ['k7-42', true],
    ['ABCD-1', true],
    [' K7-0042 ', true],
    ['K-0042', false],
    ['ABCDE-1', false],
    ['K7-', false],
    ['printer K7-0042', false],
    ['router', false],
  ])('looksLikeReference(%j) is %s', (input, expected) => {
    expect(looksLikeReference(input)).toBe(expected);
  });

  it('tells a phone number from an e-mail address', () => {
    expect(callerKind('')).toBe('empty');
    expect(callerKind('0151/123 45-67')).toBe('phone');
    expect(callerKind('max@example.org')).toBe('email');
  });
});
