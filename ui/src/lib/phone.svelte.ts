// The phone as the window knows it: the calls ringing for this agent (the banner), the
// call this agent answered that the call form is to take, and the last state of every
// call seen (so the form's own call gets its hang-up). Fed by the backend's
// `call-changed` event (App.svelte); the call form and the call log read it.
import type { Direction, IncomingCall } from '../ipc';
import { formDirection, knownNumber } from './calls';

/** A call the call form is to take: filled in, looked up, the call id attached. */
export interface CallTake {
  call_id: string;
  /** For the caller field (and its lookup); empty for an unknown number. */
  number: string;
  direction: Direction;
  /** Where the form's timer starts (answered calls); null: the form's own timer. */
  answered_at: number | null;
  /** The phone system's talk time, once the call ended: the form keeps it. */
  talk_seconds: number | null;
  /** Who, for the waiting bar: the customer's name or the number (null: unknown number). */
  who: string | null;
  /**
   * Whether the form opens by itself (an inbound call this agent answered). An outbound
   * call (often dialled from a ticket, which it is linked to) only offers itself in the bar:
   * it never takes the agent away from the ticket they called about.
   */
  auto: boolean;
}

/** A banner stays at most this long without news (a lost hang-up must not leave it up). */
export const RING_TIMEOUT_MS = 5 * 60_000;
/** How many calls' last states are kept (for the form's call and the log's refresh). */
const KEPT = 200;

const RANK: Record<IncomingCall['state'], number> = { ringing: 0, answered_by_me: 1, answered_elsewhere: 1, ended: 2 };

export function takeOf(call: IncomingCall): CallTake {
  const number = knownNumber(call);
  return {
    call_id: call.call_id,
    number: number ?? '',
    direction: formDirection(call.direction),
    answered_at: call.answered_at,
    talk_seconds: call.state === 'ended' ? call.talk_seconds : null,
    who: call.caller?.name ?? number,
    auto: call.direction === 'in',
  };
}

class PhoneState {
  /** Calls ringing for this agent, oldest first. */
  ringing = $state<IncomingCall[]>([]);
  /** The call the form is to take; it waits while the form holds input (see CallForm). */
  pending = $state<CallTake | null>(null);
  /** The agent asked for the pending call now (the bar, the call log): the form keeps its input aside. */
  takeNow = $state(false);
  /** Whether the call form holds unsaved input (kept up to date by the form). */
  formBusy = $state(false);
  /** The last state of each call seen, by call id. */
  latest = $state<Record<string, IncomingCall>>({});
  /** Bumped on every call event: the call log reloads. */
  version = $state(0);
  /** Calls the form took already: a repeated "answered" must not pop them again. */
  private taken = new Set<string>();
  private timers = new Map<string, ReturnType<typeof setTimeout>>();

  /**
   * Takes one `call-changed` event. Returns true when the call just started ringing for
   * this agent (the window raises a notification then). Events may come twice or late: a
   * state never goes back (an "answered" after the hang-up changes nothing).
   */
  receive(call: IncomingCall): boolean {
    const before = this.latest[call.call_id];
    if (before && RANK[call.state] < RANK[before.state]) return false;
    this.remember(call);
    this.version++;
    switch (call.state) {
      case 'ringing': {
        const shown = this.ringing.some((c) => c.call_id === call.call_id);
        this.ringing = shown ? this.ringing.map((c) => (c.call_id === call.call_id ? call : c)) : [...this.ringing, call];
        this.expireLater(call.call_id);
        // Only an inbound call rings here; an outbound one the agent just dialled.
        return before === undefined && call.direction === 'in';
      }
      case 'answered_by_me':
        this.close(call.call_id);
        if (!this.taken.has(call.call_id) && this.pending?.call_id !== call.call_id) {
          this.pending = takeOf(call);
          this.takeNow = false;
        }
        return false;
      case 'answered_elsewhere':
        this.close(call.call_id);
        return false;
      case 'ended':
        this.close(call.call_id);
        if (this.pending?.call_id === call.call_id) this.pending = { ...this.pending, talk_seconds: call.talk_seconds };
        return false;
    }
  }

  /** Asks the form to take a call now (the waiting bar, "Kontakt erfassen" in the call log). */
  request(take: CallTake): void {
    this.pending = take;
    this.takeNow = true;
  }

  /** The form took the pending call. */
  took(callId: string): void {
    this.taken.add(callId);
    if (this.pending?.call_id === callId) this.pending = null;
    this.takeNow = false;
  }

  /** Closes a banner (the agent dismissed it, or the call moved on). */
  close(callId: string): void {
    this.ringing = this.ringing.filter((c) => c.call_id !== callId);
    clearTimeout(this.timers.get(callId));
    this.timers.delete(callId);
  }

  /** Signed out: nothing of the last agent's calls stays. */
  reset(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.taken.clear();
    this.ringing = [];
    this.pending = null;
    this.takeNow = false;
    this.latest = {};
  }

  private remember(call: IncomingCall) {
    const next = { ...this.latest, [call.call_id]: call };
    const ids = Object.keys(next);
    if (ids.length > KEPT) for (const id of ids.slice(0, ids.length - KEPT)) delete next[id];
    this.latest = next;
  }

  private expireLater(callId: string) {
    clearTimeout(this.timers.get(callId));
    this.timers.set(
      callId,
      setTimeout(() => this.close(callId), RING_TIMEOUT_MS),
    );
  }
}

export const phone = new PhoneState();
