// Localized text for validation codes and backend errors. The backend's own message is
// English and technical (for logs); the agent reads the catalogue's words, built from
// the error's kind, or its problem code and parameters when it has one.
import { t, translateKey } from './i18n/index.svelte';
import { roleLabel, statusLabel } from './i18n/labels';
import type { ErrorCode } from './validation';
import { toAppError, type Problem, type Role, type Status } from '../ipc';

export function errorText(code: ErrorCode | undefined, max?: number): string | undefined {
  switch (code) {
    case undefined:
      return undefined;
    case 'required':
      return t.error_required();
    case 'too_long':
      return t.error_too_long({ max: String(max ?? '') });
    case 'in_past':
      return t.error_in_past();
    case 'invalid':
      return t.error_invalid();
    case 'not_an_email':
      return t.error_not_an_email();
    case 'too_many':
      return t.error_too_many({ max: String(max ?? '') });
  }
}

/** A form field's name as the agent knows it ("Betreff"); a generic word for unknown ones. */
export function fieldLabel(field: string | undefined): string {
  if (!field) return t.field_generic();
  return translateKey(`field_${field}`, translateKey(`detail_${field}`, t.field_generic()));
}

/** What a problem code with its parameters says, in the agent's language. */
export function problemText(problem: Problem): string {
  const p = problem.params;
  const field = fieldLabel(p.field);
  const max = p.max ?? '';
  switch (problem.code) {
    case 'required':
      return t.problem_required({ field });
    case 'too_long':
      return t.problem_too_long({ field, max });
    case 'control_characters':
      return t.problem_control_characters({ field });
    case 'too_many':
      return t.problem_too_many({ field, max });
    case 'not_an_email':
      return t.problem_not_an_email();
    case 'not_a_phone_number':
      return t.problem_not_a_phone_number();
    case 'in_past':
      return t.problem_in_past({ field });
    case 'in_future':
      return t.problem_in_future({ field });
    case 'needs_reopen':
      return t.problem_needs_reopen();
    case 'not_possible_now':
      return t.problem_not_possible_now();
    case 'invalid':
      return t.problem_invalid({ field });
    case 'invalid_transition':
      return t.problem_invalid_transition({
        from: p.from ? statusLabel(p.from as Status) : '',
        to: p.to ? statusLabel(p.to as Status) : '',
      });
    case 'not_found':
      return t.error_not_found();
    case 'forbidden':
      return p.role ? t.problem_forbidden({ role: roleLabel(p.role as Role) }) : t.error_forbidden();
    case 'already_claimed':
      return t.problem_already_claimed({ who: p.who ?? '' });
    case 'already_answered':
      return t.problem_already_answered();
    case 'merged':
      return t.problem_merged();
    case 'stale_revision':
      return t.problem_stale_revision();
    case 'already_exists':
      return t.problem_already_exists();
    case 'already_linked':
      return t.problem_already_linked();
    case 'incompatible_hub':
      return t.problem_incompatible_hub({ hub: p.hub ?? '', ours: p.ours ?? '' });
    case 'profile_in_use':
      return t.problem_profile_in_use();
    case 'too_short':
      return t.problem_too_short({ field, min: p.min ?? '' });
    case 'not_positive':
      return t.problem_not_positive({ field });
    case 'invalid_date':
      return t.problem_invalid_date({ field });
    case 'unknown_time_zone':
      return t.problem_unknown_time_zone({ field });
    case 'ends_before_start':
      return t.problem_ends_before_start({ field });
    case 'last_admin':
      return t.problem_last_admin();
    case 'wrong_password':
      return t.problem_wrong_password();
    case 'password_change_required':
      return t.problem_password_change_required();
  }
}

/**
 * The message to show for anything an api call threw, in the agent's language: the
 * problem's words when the backend named one, else the kind's. Never the backend's text.
 */
export function failureText(e: unknown): string {
  const error = toAppError(e);
  if (error.problem) return problemText(error.problem);
  switch (error.kind) {
    case 'offline':
      return t.error_offline();
    case 'unauthorized':
      return t.error_unauthorized();
    case 'forbidden':
      return t.error_forbidden();
    case 'validation':
      return t.error_invalid_input();
    case 'conflict':
      return t.error_conflict();
    case 'not_found':
      return t.error_not_found();
    case 'password_change_required':
      return t.error_password_change_required();
    case 'internal':
      return t.error_unexpected();
  }
}

/** A refusal the hub sent back (its problem, when it named one; else a general word). */
export function refusalText(problem: Problem | null): string {
  return problem ? problemText(problem) : t.error_refused();
}
