// The demo backend's dashboard (`npm run dev`): plausible numbers for a team of a dozen
// agents, the same for the same filter, so the screen can be looked at without a hub.
import type { AgentFigures, CallFigures, Dashboard, DashboardFilter, DayFigures, Figure, FigureKey } from './bindings';

const DAY = 86_400_000;

/** A small deterministic pseudo-random number in [0, 1) for a seed. */
function noise(seed: number): number {
  const x = Math.sin(seed * 12.9898) * 43_758.5453;
  return x - Math.floor(x);
}

function startOfDay(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

function bounds(filter: DashboardFilter, now: number): [number, number] {
  const today = startOfDay(now);
  switch (filter.period.type) {
    case 'today':
      return [today, now + 1];
    case 'days7':
      return [today - 6 * DAY, now + 1];
    case 'days30':
      return [today - 29 * DAY, now + 1];
    case 'custom':
      return [startOfDay(filter.period.from), startOfDay(filter.period.to) + DAY];
  }
}

/** How much of the traffic the filters leave. */
function narrowing(filter: DashboardFilter): number {
  return (filter.category_id ? 0.35 : 1) * (filter.department_id ? 0.2 : 1) * (filter.channel ? (filter.channel === 'phone' ? 0.7 : 0.15) : 1);
}

const share = (key: FigureKey, count: number, of: number): Figure => ({
  key,
  level: null,
  unit: 'share',
  value: of > 0 ? count / of : null,
  count,
  of,
});
const total = (key: FigureKey, count: number): Figure => ({ key, level: null, unit: 'count', value: count, count, of: 0 });
const minutes = (key: FigureKey, level: number, value: number | null, count: number): Figure => ({
  key,
  level,
  unit: 'minutes',
  value: count > 0 ? value : null,
  count,
  of: 0,
});

export function demoDashboard(filter: DashboardFilter, now: number = Date.now()): Dashboard {
  const [from, to] = bounds(filter, now);
  const scale = narrowing(filter);
  const days: DayFigures[] = [];
  for (let day = from; day < to; day += DAY) {
    const weekday = new Date(day).getDay();
    const base = weekday === 0 || weekday === 6 ? 25 : 140;
    const newTickets = Math.round(base * (0.8 + 0.4 * noise(day / DAY)) * scale);
    const firstContact = Math.round(newTickets * (0.62 + 0.1 * noise(day / DAY + 1)));
    const escalated = Math.round(newTickets * (0.18 + 0.06 * noise(day / DAY + 2)));
    days.push({ day, new_tickets: newTickets, first_contact: firstContact, escalated, first_contact_rate: newTickets > 0 ? firstContact / newTickets : null });
  }
  const n = days.reduce((sum, d) => sum + d.new_tickets, 0);
  const fcr = days.reduce((sum, d) => sum + d.first_contact, 0);
  const escalated = days.reduce((sum, d) => sum + d.escalated, 0);
  const resolved = Math.round(n * 0.86);
  const byLevel = [Math.round(resolved * 0.78), Math.round(resolved * 0.17), Math.round(resolved * 0.05)];
  const figures: Figure[] = [
    total('new_tickets', n),
    total('repeat_contacts', Math.round(n * 0.09)),
    share('first_contact_resolution', fcr, n),
    share('escalation_rate', escalated, n),
    share('expert_involvement', Math.round(n * 0.06), n),
    total('consults', Math.round(n * 0.05)),
    total('expert_handovers', Math.round(n * 0.02)),
    share('hand_backs', Math.round(escalated * 0.12), escalated),
    share('reopen_rate', Math.round(resolved * 0.04), resolved),
    share('sla_compliance', Math.round(resolved * 0.93), resolved),
    share('kb_deflection', Math.round(fcr * 0.41), n),
  ];
  const times: [number, number, number, number][] = [
    [0.5, 4, 6, 95],
    [22, 140, 260, 1_900],
    [180, 1_300, 2_600, 7_200],
  ];
  times.forEach(([respMedian, respP90, resMedian, resP90], i) => {
    const level = i + 1;
    const asked = i === 0 ? n : i === 1 ? escalated : Math.round(n * 0.06);
    figures.push(
      minutes('first_response_median', level, respMedian, asked),
      minutes('first_response_p90', level, respP90, asked),
      minutes('resolution_median', level, resMedian, byLevel[i]),
      minutes('resolution_p90', level, resP90, byLevel[i]),
    );
  });
  const categories = [
    { category_id: 'cat-net', weight: 0.42, escalation: 0.24 },
    { category_id: 'cat-hw', weight: 0.31, escalation: 0.19 },
    { category_id: 'cat-bill', weight: 0.19, escalation: 0.08 },
    { category_id: null, weight: 0.08, escalation: 0.3 },
  ]
    .filter((c) => !filter.category_id || c.category_id === filter.category_id)
    .map((c) => {
      const tickets = filter.category_id ? n : Math.round(n * c.weight);
      const esc = Math.round(tickets * c.escalation);
      return { category_id: c.category_id, tickets, escalated: esc, escalation_rate: tickets > 0 ? esc / tickets : null };
    });
  const open = (x: number) => Math.round(x * scale);
  return {
    from,
    to,
    computed_at: now,
    coverage: { cached_tickets: 18_432, oldest_ticket: now - 92 * DAY, window_start: now - 90 * DAY, time_zone: 'Europe/Berlin' },
    live: {
      open_by_level: [open(214), open(37), open(9)],
      open_by_department: filter.department_id ? [{ department_id: filter.department_id, open: open(9) }] : [{ department_id: 'd-it', open: 9 }],
      unclaimed_escalations: open(6),
      waiting_for_expert: open(11),
      longest_expert_wait_since: now - 5.5 * 3_600_000,
      sla_at_risk: open(4),
      sla_breached: open(2),
    },
    figures,
    days,
    categories,
    funnel: { suggested: Math.round(n * 0.71), opened: Math.round(n * 0.48), used: Math.round(n * 0.29), resolved: Math.round(n * 0.26) },
    resolution_times: [15, 60, 240, 480, 1_440, 4_320, null].map((below, i) => ({
      below_minutes: below,
      tickets: Math.round(resolved * [0.52, 0.14, 0.1, 0.06, 0.1, 0.05, 0.03][i]),
    })),
    calls: demoCalls(from, to, scale),
  };
}

/** The phone system's calls over the period: office hours, a lunch dip, some missed. */
function demoCalls(from: number, to: number, scale: number): CallFigures {
  const per_hour: CallFigures['per_hour'] = [];
  const lastDay = Math.max(from, to - 1);
  for (let hour = 7; hour <= 18; hour++) {
    const start = new Date(lastDay);
    start.setHours(hour, 0, 0, 0);
    if (start.getTime() >= to) break;
    const base = hour === 12 ? 9 : 14 + Math.round(10 * noise(hour));
    const calls = Math.round(base * scale * Math.max(1, (to - from) / DAY));
    const missed = Math.round(calls * (0.05 + 0.1 * noise(hour + 50)));
    per_hour.push({ hour_start: start.getTime(), answered: calls - missed, missed });
  }
  const answered = per_hour.reduce((sum, h) => sum + h.answered, 0);
  const missed = per_hour.reduce((sum, h) => sum + h.missed, 0);
  const outbound = Math.round((answered + missed) * 0.3);
  return { per_hour, inbound: answered + missed - outbound, outbound, answered, missed, average_talk_seconds: answered > 0 ? 271 : null };
}

export function demoAgentFigures(filter: DashboardFilter): AgentFigures[] {
  const n = demoDashboard(filter).figures[0].count;
  return [
    { id: 'a1', weight: 0.3, fcr: 0.71, esc: 0.15, seconds: 312 },
    { id: 'a2', weight: 0.25, fcr: 0.64, esc: 0.2, seconds: 405 },
    { id: 'a3', weight: 0.2, fcr: 0.58, esc: 0.24, seconds: 388 },
  ].map((a) => {
    const calls = Math.round(n * a.weight);
    const firstContact = Math.round(calls * a.fcr);
    return {
      agent_id: a.id,
      calls,
      first_contact: firstContact,
      first_contact_rate: calls > 0 ? firstContact / calls : null,
      escalations: Math.round(calls * a.esc),
      average_handling_seconds: calls > 0 ? a.seconds : null,
      calls_answered: Math.round(calls * 0.9),
      calls_missed: Math.round(calls * 0.05),
      average_talk_seconds: calls > 0 ? a.seconds - 40 : null,
    };
  });
}
