// Pure validation of what the agent types. Returns error codes, not text: components
// turn codes into localized messages, and the same rules are unit-tested here.
// The backend validates again; its `validation` errors (with `field`) are mirrored inline.

import { FIELD_LIMITS } from '../ipc';

// The rules' own limits (generated bindings), so the form refuses exactly what the
// backend would.
export const SUBJECT_MAX = FIELD_LIMITS.subject;
export const DESCRIPTION_MAX = FIELD_LIMITS.description;
export const SUMMARY_MAX = FIELD_LIMITS.note;
export const EMAIL_MAX = FIELD_LIMITS.email;
/** Most recipients one e-mail reply may name, To and Cc together (the rules' MAX_RECIPIENTS). */
export const RECIPIENTS_MAX = 20;

export type ErrorCode = 'required' | 'too_long' | 'in_past' | 'invalid' | 'not_an_email' | 'too_many';
export type FieldErrors<F extends string> = Partial<Record<F, ErrorCode>>;

export function hasErrors(errors: FieldErrors<string>): boolean {
  return Object.values(errors).some(Boolean);
}

/** Whether `value` is over `max` characters as the rules count them (code points, not UTF-16 units). */
export function isTooLong(value: string, max: number): boolean {
  return value.length > max && [...value].length > max;
}

function text(value: string, max: number, required: boolean): ErrorCode | undefined {
  if (required && value.trim() === '') return 'required';
  if (isTooLong(value, max)) return 'too_long';
  return undefined;
}

function compact<F extends string>(errors: Record<F, ErrorCode | undefined>): FieldErrors<F> {
  const out: FieldErrors<F> = {};
  for (const [field, code] of Object.entries(errors) as [F, ErrorCode | undefined][]) {
    if (code) out[field] = code;
  }
  return out;
}

export type ContactField = 'subject' | 'description';
export function validateContact(form: { subject: string; description: string }): FieldErrors<ContactField> {
  return compact({
    subject: text(form.subject, SUBJECT_MAX, true),
    description: text(form.description, DESCRIPTION_MAX, false),
  });
}

export type SolveField = 'summary';
export function validateSolve(form: { summary: string }): FieldErrors<SolveField> {
  return compact({ summary: text(form.summary, SUMMARY_MAX, true) });
}

export type EscalationField = 'reason' | 'steps_tried' | 'handover_summary';
/** Escalating needs all three: L2 must not have to call the customer back to ask what was tried. */
export function validateEscalation(form: {
  reason: string;
  steps_tried: string;
  handover_summary: string;
}): FieldErrors<EscalationField> {
  return compact({
    reason: text(form.reason, SUMMARY_MAX, true),
    steps_tried: text(form.steps_tried, SUMMARY_MAX, true),
    handover_summary: text(form.handover_summary, SUMMARY_MAX, true),
  });
}

export type FollowUpField = 'due' | 'note';
/** `due` is ms since epoch; null when the date-time field is empty, NaN when it cannot be read. */
export function validateFollowUp(form: { due: number | null; note: string }, now: number): FieldErrors<FollowUpField> {
  let due: ErrorCode | undefined;
  if (form.due === null) due = 'required';
  else if (Number.isNaN(form.due)) due = 'invalid';
  else if (form.due <= now) due = 'in_past';
  return compact({ due, note: text(form.note, SUMMARY_MAX, false) });
}

export type NoteField = 'body';
export function validateNote(form: { body: string }): FieldErrors<NoteField> {
  return compact({ body: text(form.body, SUMMARY_MAX, true) });
}

/** A ticket reference as read on the phone: device code, dash, counter (K7-0042). */
const REFERENCE = /^[A-Z0-9]{2,4}-\d+$/i;
export function looksLikeReference(input: string): boolean {
  return REFERENCE.test(input.trim());
}

/** The caller field holds a phone number or an e-mail address; '@' decides which. */
export function callerKind(input: string): 'email' | 'phone' | 'empty' {
  const value = input.trim();
  if (value === '') return 'empty';
  return value.includes('@') ? 'email' : 'phone';
}

/** The addresses typed into a To or Cc field: separated by commas (or semicolons, as Outlook users type them). */
export function parseAddresses(input: string): string[] {
  return input
    .split(/[,;]/)
    .map((a) => a.trim())
    .filter((a) => a !== '');
}

/** The rules' test of an address: something@domain.tld, no spaces, one '@'. */
export function looksLikeEmail(address: string): boolean {
  const at = address.indexOf('@');
  if (at <= 0 || /\s/.test(address) || address.length > EMAIL_MAX) return false;
  const domain = address.slice(at + 1);
  return !domain.includes('@') && domain.includes('.') && !domain.startsWith('.') && !domain.endsWith('.');
}

function addresses(input: string, required: boolean): ErrorCode | undefined {
  const list = parseAddresses(input);
  if (required && list.length === 0) return 'required';
  return list.every(looksLikeEmail) ? undefined : 'not_an_email';
}

export type EmailReplyField = 'to' | 'cc' | 'subject' | 'body';
/** A reply needs a recipient, a subject and a text; every address must look like one. */
export function validateEmailReply(form: { to: string; cc: string; subject: string; body: string }): FieldErrors<EmailReplyField> {
  const to = addresses(form.to, true);
  const tooMany = parseAddresses(form.to).length + parseAddresses(form.cc).length > RECIPIENTS_MAX;
  return compact({
    to: to ?? (tooMany ? 'too_many' : undefined),
    cc: addresses(form.cc, false),
    subject: text(form.subject, SUBJECT_MAX, true),
    body: text(form.body, SUMMARY_MAX, true),
  });
}
