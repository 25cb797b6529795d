// Localized text for validation codes and backend errors.
import { t } from './i18n/index.svelte';
import type { ErrorCode } from './validation';
import { toAppError } from '../ipc';

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
  }
}

/**
 * The message to show for anything an api call threw, in the agent's language. Kinds
 * that say it all get the catalogue's words (the backend's text is technical, and
 * English); validation, conflict and not-found keep the backend's specifics for now.
 */
export function failureText(e: unknown): string {
  const error = toAppError(e);
  switch (error.kind) {
    case 'offline':
      return t.error_offline();
    case 'unauthorized':
      return t.error_unauthorized();
    case 'forbidden':
      return t.error_forbidden();
    case 'internal':
      return t.error_unexpected();
    default:
      return error.message || t.error_unexpected();
  }
}
