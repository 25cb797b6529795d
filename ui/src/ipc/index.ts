// The app-facing backend API. Components import from here, never from bindings.ts
// (generated, overwritten by tauri-specta) nor from @tauri-apps/api.
//
// Every command's Result is unwrapped: success returns the data, failure throws an
// `AppError`, so callers write `try { await api.x() } catch (e) { if (isAppError(e) && e.kind === 'validation') ... }`.
import type { UnlistenFn } from '@tauri-apps/api/event';
import {
  commands,
  events,
  FIELD_LIMITS,
  type AppError as WireAppError,
  type ContactChannel,
  type ErrorKind,
  type Problem,
  type SyncView,
} from './bindings';

/** What each generated command resolves to. */
type Result<T, E> = { status: 'ok'; data: T } | { status: 'error'; error: E };

export type * from './bindings';
/** The rules' field limits (in characters), from the backend's own declaration. */
export { FIELD_LIMITS };

/** Stable names for types the generator may name after their Rust structs. */
export type Connection = SyncView['connection'];
/** The contact channel (named ContactChannel in the bindings: Tauri's IPC has a `Channel`). */
export type Channel = ContactChannel;
export type SyncProgress = NonNullable<SyncView['progress']>;

/**
 * The error every api call throws: the backend's `{kind, message, field, problem}`, as an
 * Error. `message` is the backend's English, for the console; the window words `problem`
 * (or the kind) from its catalogue.
 */
export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly field: string | null;
  readonly problem: Problem | null;

  constructor(kind: ErrorKind, message: string, field: string | null = null, problem: Problem | null = null) {
    super(message);
    this.name = 'AppError';
    this.kind = kind;
    this.field = field;
    this.problem = problem;
  }
}

export function isAppError(e: unknown): e is AppError {
  return e instanceof AppError;
}

const ERROR_KINDS: readonly ErrorKind[] = [
  'validation',
  'not_found',
  'conflict',
  'forbidden',
  'offline',
  'unauthorized',
  'password_change_required',
  'internal',
];

/** Turns anything thrown at the invoke boundary into an AppError. */
export function toAppError(e: unknown): AppError {
  if (e instanceof AppError) return e;
  if (e && typeof e === 'object' && 'kind' in e && 'message' in e) {
    const wire = e as Partial<WireAppError>;
    const kind = ERROR_KINDS.includes(wire.kind as ErrorKind) ? (wire.kind as ErrorKind) : 'internal';
    return new AppError(kind, String(wire.message ?? ''), wire.field ?? null, wire.problem ?? null);
  }
  // A plain Error or string means the IPC itself failed (unknown command, bad
  // argument shape, no Tauri runtime): not something the agent can fix.
  const message = e instanceof Error ? e.message : String(e);
  return new AppError('internal', message);
}

async function unwrap<T>(call: () => Promise<Result<T, WireAppError>>): Promise<T> {
  let result: Result<T, WireAppError>;
  try {
    result = await call();
  } catch (e) {
    throw toAppError(e);
  }
  if (result.status === 'ok') return result.data;
  throw toAppError(result.error);
}

type Commands = typeof commands;
type Unwrapped<F> = F extends (...args: infer A) => Promise<Result<infer T, WireAppError>>
  ? (...args: A) => Promise<T>
  : never;
export type Api = { [K in keyof Commands]: Unwrapped<Commands[K]> };

/** Each command of bindings.ts, unwrapped. Built by name so a regenerated bindings.ts needs no edit here. */
export const api: Api = Object.fromEntries(
  (Object.keys(commands) as (keyof Commands)[]).map((name) => [
    name,
    (...args: unknown[]) =>
      unwrap(() => (commands[name] as (...a: unknown[]) => Promise<Result<unknown, WireAppError>>)(...args)),
  ]),
) as Api;

type Events = typeof events;
type Payload<E> = E extends { listen: (cb: (event: { payload: infer P }) => void) => unknown } ? P : never;
export type On = {
  [K in keyof Events]: (handler: (payload: Payload<Events[K]>) => void) => Promise<UnlistenFn>;
};

/** Typed backend events: `const stop = await on.syncStatusChanged((sync) => ...)`. */
export const on: On = {
  syncStatusChanged: (handler) => events.syncStatusChanged.listen((e) => handler(e.payload)),
  ticketsChanged: (handler) => events.ticketsChanged.listen((e) => handler(e.payload)),
  openCallForm: (handler) => events.openCallForm.listen((e) => handler(e.payload)),
  followUpDue: (handler) => events.followUpDue.listen((e) => handler(e.payload)),
  workArrived: (handler) => events.workArrived.listen((e) => handler(e.payload)),
  callChanged: (handler) => events.callChanged.listen((e) => handler(e.payload)),
};

/** Listens to an event from a component's $effect: returns a cleanup that unlistens even if listen() is still pending. */
export function listenWhileMounted<K extends keyof On>(
  name: K,
  handler: Parameters<On[K]>[0],
): () => void {
  let stopped = false;
  let unlisten: UnlistenFn | undefined;
  (on[name] as (h: typeof handler) => Promise<UnlistenFn>)(handler)
    .then((fn) => {
      if (stopped) fn();
      else unlisten = fn;
    })
    .catch(() => {
      // No event bridge (e.g. a plain browser): the UI still works, it just isn't pushed updates.
    });
  return () => {
    stopped = true;
    unlisten?.();
  };
}
