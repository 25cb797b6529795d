// The call form's data, independent of the component: what an empty form is, how it
// becomes a ContactForm for the backend, and how it round-trips through a draft.
import type { Channel, ContactForm, CustomerCard, Direction, Priority } from '../ipc';

/** Draft keys: the form being typed, and the one kept aside when a new call came in. */
export const DRAFT_KEY = 'call-form';
export const PREVIOUS_DRAFT_KEY = 'call-form-previous';

export type OutcomeDialog = 'solve' | 'escalate' | 'follow_up';

export interface OpenedArticle {
  id: string;
  title: string;
  /** The article's category: a call solved with it and filed under none gets it. */
  category_id?: string | null;
}

export interface CallFormState {
  channel: Channel;
  direction: Direction;
  caller: string;
  customer: CustomerCard | null;
  category_id: string | null;
  priority: Priority;
  subject: string;
  description: string;
  /** Every suggestion id shown to the agent, in first-seen order. */
  suggested_kb: string[];
  used_kb: string[];
  /** Articles the agent opened: for the escalation's "steps tried", and sent as `opened_kb`. */
  opened_kb: OpenedArticle[];
  /** Call time counted before the current stretch (e.g. before a restart), in ms. */
  elapsed_ms: number;
  /** When the current stretch of the call timer started; null before the first input. */
  running_since: number | null;
  /** The phone system's call this contact is about (a screen pop, the call log), sent with the contact. */
  call_id: string | null;
  /** The phone system's talk time once the call ended: the duration, instead of the timer. */
  phone_seconds: number | null;
  dialog: OutcomeDialog | null;
  solve: { summary: string };
  escalation: { reason: string; steps_tried: string; handover_summary: string };
  follow_up: { due: string; note: string };
}

export function emptyCallForm(): CallFormState {
  return {
    channel: 'phone',
    direction: 'inbound',
    caller: '',
    customer: null,
    category_id: null,
    priority: 'normal',
    subject: '',
    description: '',
    suggested_kb: [],
    used_kb: [],
    opened_kb: [],
    elapsed_ms: 0,
    running_since: null,
    call_id: null,
    phone_seconds: null,
    dialog: null,
    solve: { summary: '' },
    escalation: { reason: '', steps_tried: '', handover_summary: '' },
    follow_up: { due: '', note: '' },
  };
}

/** Has the agent typed or chosen anything worth keeping? */
export function hasContent(form: CallFormState): boolean {
  return (
    form.caller.trim() !== '' ||
    form.customer !== null ||
    form.subject.trim() !== '' ||
    form.description.trim() !== '' ||
    form.category_id !== null ||
    form.used_kb.length > 0 ||
    form.solve.summary.trim() !== '' ||
    form.escalation.reason.trim() !== '' ||
    form.escalation.handover_summary.trim() !== '' ||
    form.follow_up.note.trim() !== ''
  );
}

export function elapsedSeconds(form: CallFormState, now: number): number {
  if (form.phone_seconds !== null) return form.phone_seconds;
  const running = form.running_since === null ? 0 : Math.max(0, now - form.running_since);
  return Math.floor((form.elapsed_ms + running) / 1000);
}

export function toContactForm(form: CallFormState, now: number): ContactForm {
  return {
    contact: {
      channel: form.channel,
      direction: form.direction,
      customer_id: form.customer?.id ?? null,
      category_id: form.category_id,
      priority: form.priority,
      subject: form.subject.trim(),
      description: form.description,
      duration_seconds: elapsedSeconds(form, now),
      // Kept on the ticket even without a customer: nothing typed is lost.
      caller: form.caller.trim() || null,
    },
    suggested_kb: [...form.suggested_kb],
    used_kb: [...form.used_kb],
    // Every article the agent opened to read, once each (the suggestion funnel's second step).
    opened_kb: addUnique([], form.opened_kb.map((article) => article.id)),
    call_id: form.call_id,
  };
}

/** The text KB suggestions are computed from. */
export function kbQuery(form: Pick<CallFormState, 'subject' | 'description'>): string {
  return `${form.subject}\n${form.description}`.trim();
}

/** Adds ids not seen yet, keeping first-seen order. Returns the same array when nothing is new. */
export function addUnique(list: string[], ids: string[]): string[] {
  const fresh = ids.filter((id, i) => !list.includes(id) && ids.indexOf(id) === i);
  return fresh.length === 0 ? list : [...list, ...fresh];
}

/** The category a used article suggests for a call filed under none yet. */
export function categoryFromUsed(opened: OpenedArticle[], used: string[]): string | null {
  return opened.find((a) => used.includes(a.id) && a.category_id)?.category_id ?? null;
}

/** Pre-fills "steps tried" from the KB articles the agent opened or used. */
export function stepsTriedFromKb(opened: OpenedArticle[], linePrefix: string): string {
  return opened.map((article) => `${linePrefix}${article.title}`).join('\n');
}

const DRAFT_VERSION = 1;

/** The draft freezes the running timer: time while the app is closed is not call time. */
export function serializeDraft(form: CallFormState, now: number): string {
  const frozen: CallFormState = {
    ...form,
    elapsed_ms: elapsedSeconds(form, now) * 1000,
    running_since: null,
  };
  return JSON.stringify({ v: DRAFT_VERSION, form: frozen });
}

/** Restores a draft; anything unreadable gives null rather than a half-filled form. The timer resumes at `now`. */
export function parseDraft(body: string | null, now: number): CallFormState | null {
  if (!body) return null;
  try {
    const parsed = JSON.parse(body) as { v?: number; form?: Partial<CallFormState> };
    if (parsed.v !== DRAFT_VERSION || !parsed.form || typeof parsed.form !== 'object') return null;
    const empty = emptyCallForm();
    const form: CallFormState = {
      ...empty,
      ...parsed.form,
      solve: { ...empty.solve, ...parsed.form.solve },
      escalation: { ...empty.escalation, ...parsed.form.escalation },
      follow_up: { ...empty.follow_up, ...parsed.form.follow_up },
    };
    form.running_since = form.phone_seconds === null && form.elapsed_ms > 0 ? now : null;
    return form;
  } catch {
    return null;
  }
}
