// A fake backend at the invoke boundary (mockIPC), for component tests and for running
// the UI in a plain browser (`npm run dev`). Handlers are keyed by the Rust command name
// (snake_case) and receive the camelCase arguments tauri-specta sends.
// Lives in ipc/ because only ipc/ may touch @tauri-apps/api.
import { clearMocks, mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import type { AppError, IncomingCall, Problem, Session, SyncView } from './bindings';

export type Handler = (args: Record<string, unknown>) => unknown;

export interface FakeBackend {
  calls: { cmd: string; args: Record<string, unknown> }[];
  callsTo(cmd: string): Record<string, unknown>[];
  /** Replaces or adds handlers. */
  on(handlers: Record<string, Handler>): void;
}

export const SESSION: Session = {
  agent: { id: 'a1', name: 'Anna Agent', login: 'anna', role: 'first_level', department_id: null },
  hub_url: 'http://127.0.0.1:7000',
  device_code: 'K7',
  language: 'en',
  shortcut: 'CommandOrControl+Shift+H',
  shortcut_note: null,
  keyring_missing: false,
  demo: false,
  must_change_password: false,
};

export const SYNC: SyncView = {
  connection: 'online',
  pending: 0,
  last_sync: null,
  last_error: null,
  progress: null,
  rejected: [],
};

const DEFAULTS: Record<string, Handler> = {
  get_session: () => SESSION,
  get_sync_status: () => SYNC,
  get_reference_data: () => ({ categories: [{ id: 'c1', name: 'Network' }], departments: [], agents: [] }),
  preview_reference: () => 'K7-0042',
  load_draft: () => null,
  save_draft: () => null,
  discard_draft: () => null,
  suggest_kb: () => ({ suggestions: [], nothing_fits: false }),
  lookup_caller: () => ({ normalized: null, problem: null, customers: [], open_tickets: [] }),
  show_notification: () => null,
  label_tray: () => null,
  get_org_settings: () => ({ agent_figures: false }),
  list_calls: () => ({ rows: [] }),
  get_dial_template: () => 'tel:{number}',
  set_dial_template: () => null,
  dial_number: () => null,
};

/** Rejects like a Rust command returning Err(AppError). */
export function appError(
  kind: AppError['kind'],
  message: string,
  field: string | null = null,
  problem: Problem | null = null,
): never {
  throw { kind, message, field, problem } satisfies AppError;
}

/** A problem code with its parameters, as the backend sends it. */
export function problem(code: Problem['code'], params: Record<string, string> = {}): Problem {
  return { code, params };
}

export function fakeBackend(handlers: Record<string, Handler> = {}): FakeBackend {
  const table: Record<string, Handler> = { ...DEFAULTS, ...handlers };
  const calls: FakeBackend['calls'] = [];
  mockIPC(
    async (cmd, payload) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      const handler = table[cmd];
      if (!handler) throw new Error(`fake backend: no handler for ${cmd}`);
      return handler(args);
    },
    { shouldMockEvents: true },
  );
  return {
    calls,
    callsTo: (cmd) => calls.filter((call) => call.cmd === cmd).map((call) => call.args),
    on: (more) => Object.assign(table, more),
  };
}

/** Emits a backend event by its wire name, e.g. `emitEvent('tickets-changed', { count: 1 })`. */
export function emitEvent(name: string, payload: unknown): Promise<void> {
  return emit(name, payload);
}

/** A call as the backend's `call-changed` event reports it: ringing for this agent, from a known number. */
export function incomingCall(overrides: Partial<IncomingCall> = {}): IncomingCall {
  return {
    call_id: 'call-1',
    direction: 'in',
    number: '030 1234567',
    number_e164: '+49301234567',
    caller: null,
    state: 'ringing',
    answered_by_me: false,
    started_at: Date.now(),
    answered_at: null,
    ended_at: null,
    talk_seconds: null,
    queue: null,
    missed: false,
    ...overrides,
  };
}

/** Pushes a `call-changed` event, as the backend does when the phone system reports a call. */
export function emitCallChanged(call: IncomingCall): Promise<void> {
  return emit('call-changed', call);
}

export { clearMocks };
