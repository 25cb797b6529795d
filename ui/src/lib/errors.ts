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

/** The message to show for anything an api call threw: the backend's own message, or a generic one. */
export function failureText(e: unknown): string {
  const error = toAppError(e);
  if (error.kind === 'offline' && !error.message) return t.error_offline();
  return error.message || t.error_unexpected();
}
