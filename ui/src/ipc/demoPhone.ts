// The demo backend's phone system (`npm run dev`): today's call log, the dial template,
// the admin's CTI integrations, and a scripted call for looking at the screen pop. In the
// browser console: `helplineDemo.ring()`, `.answer()`, `.hangup()`, `.missed()`.
import { emitCallChanged, incomingCall, type Handler } from './fake';
import { appError } from './fake';
import type { CallLogRow, CtiIntegration, CtiToken, IncomingCall } from './bindings';

const MINUTE = 60_000;

function row(minutesAgo: number, fields: Partial<CallLogRow>): CallLogRow {
  const started = Date.now() - minutesAgo * MINUTE;
  return {
    call_id: `demo-${minutesAgo}`,
    direction: 'in',
    number: '030 123456',
    number_e164: '+4930123456',
    caller_name: null,
    customer_id: null,
    queue: null,
    answered_by_name: null,
    answered_by_me: false,
    started_at: started,
    answered_at: started + 12_000,
    ended_at: started + 200_000,
    talk_seconds: 188,
    missed: false,
    mine: true,
    ticket: null,
    ...fields,
  };
}

export function demoPhone(customers: { id: string; name: string; phones: string[] }[]): Record<string, Handler> {
  const log: CallLogRow[] = [
    row(190, { caller_name: customers[1]?.name ?? null, customer_id: customers[1]?.id ?? null, answered_by_me: true, answered_by_name: 'Anna Agent' }),
    row(95, { call_id: 'demo-missed', number: 'anonymous', number_e164: null, answered_at: null, talk_seconds: null, missed: true, queue: 'support' }),
    row(42, { number: '0151 1234567', number_e164: '+491511234567', caller_name: 'Max Mustermann', customer_id: 'c1', answered_at: null, talk_seconds: null, missed: true }),
    row(20, { direction: 'out', number: '+4940999888', number_e164: '+4940999888', answered_by_me: true, answered_by_name: 'Anna Agent', talk_seconds: 64 }),
    row(8, { answered_by_name: 'Ben Becker', mine: false, queue: 'support' }),
  ];
  let template = localStorage.getItem('helpline-demo-dial') ?? 'tel:{number}';
  let integrations: CtiIntegration[] = [];
  let tokens = 0;

  let current: IncomingCall | null = null;
  const push = (call: IncomingCall) => {
    current = call;
    void emitCallChanged(call);
  };
  const ring = () => {
    const max = customers[0];
    push(
      incomingCall({
        call_id: `demo-live-${Date.now()}`,
        number: max?.phones[0] ?? '0151 1234567',
        number_e164: max?.phones[0] ?? '+491511234567',
        caller: max ? { customer_id: max.id, name: max.name, company: null, more_customers: 0, open_tickets: [] } : null,
        queue: 'support',
      }),
    );
  };
  const demo = {
    ring,
    answer: () => current && push({ ...current, state: 'answered_by_me', answered_by_me: true, answered_at: Date.now() }),
    elsewhere: () => current && push({ ...current, state: 'answered_elsewhere', answered_at: Date.now() }),
    hangup: () => {
      if (!current) return;
      const answered = current.answered_at;
      push({
        ...current,
        state: 'ended',
        ended_at: Date.now(),
        talk_seconds: answered === null ? null : Math.round((Date.now() - answered) / 1000),
        missed: answered === null,
      });
    },
    missed: () => {
      ring();
      setTimeout(() => demo.hangup(), 4000);
    },
  };
  (globalThis as { helplineDemo?: typeof demo }).helplineDemo = demo;

  function token(integration: CtiIntegration): CtiToken {
    tokens += 1;
    return { integration, token: `demo-token-${tokens}-${Math.random().toString(36).slice(2, 10)}` };
  }

  return {
    list_calls: ({ from, to }) => ({ rows: log.filter((r) => r.started_at >= Number(from) && r.started_at < Number(to)) }),
    dial_number: ({ number }) => {
      const url = template.replace('{number}', encodeURIComponent(String(number)));
      console.info(`demo: would open ${url}`);
      return null;
    },
    get_dial_template: () => template,
    set_dial_template: ({ template: next }) => {
      const value = String(next);
      if (!/^(tel|sip|sips):/.test(value) || !value.includes('{number}')) appError('validation', 'Only tel: and sip: templates', 'template');
      template = value;
      localStorage.setItem('helpline-demo-dial', value);
      return null;
    },
    admin_list_cti: () => integrations,
    admin_add_cti: ({ name, allowedSources }) => {
      const now = Date.now();
      const integration: CtiIntegration = {
        id: `cti-${integrations.length + 1}`,
        name: String(name),
        allowed_sources: (allowedSources as string[]) ?? [],
        created_at: now,
        token_made_at: now,
      };
      integrations = [...integrations, integration];
      return token(integration);
    },
    admin_rotate_cti: ({ id }) => {
      const found = integrations.find((i) => i.id === id) ?? appError('not_found', 'No such integration');
      const rotated = { ...found, token_made_at: Date.now() };
      integrations = integrations.map((i) => (i.id === id ? rotated : i));
      return token(rotated);
    },
    admin_change_cti: ({ id, change }) => {
      const found = integrations.find((i) => i.id === id) ?? appError('not_found', 'No such integration');
      const form = change as { name: string | null; allowed_sources: string[] | null };
      const changed = { ...found, name: form.name ?? found.name, allowed_sources: form.allowed_sources ?? found.allowed_sources };
      integrations = integrations.map((i) => (i.id === id ? changed : i));
      return changed;
    },
    admin_remove_cti: ({ id }) => {
      integrations = integrations.filter((i) => i.id !== id);
      return null;
    },
  };
}
