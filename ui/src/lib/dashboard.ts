// The dashboard's data, apart from the screen: the filter a choice of period makes, how a
// figure reads, which queue a live number opens, and the figures as CSV rows.
import type { AgentFigures, DashboardFilter, Figure, FigureKey, Period, QueueName } from '../ipc';
import type { CsvCell } from './csv';
import { formatCount, formatMinutes, formatPercent } from './format';
import { t } from './i18n/index.svelte';
import { figureLabel } from './i18n/labels';

export type PeriodChoice = Exclude<Period['type'], 'custom'> | 'custom';
export const PERIOD_CHOICES: PeriodChoice[] = ['today', 'days7', 'days30', 'custom'];

export const LEVELS = [1, 2, 3] as const;
/** The figures shown per level, in the table's column order. */
export const LEVEL_FIGURES: FigureKey[] = ['first_response_median', 'first_response_p90', 'resolution_median', 'resolution_p90'];

export function emptyFilter(): DashboardFilter {
  return { period: { type: 'today' }, category_id: null, department_id: null, channel: null };
}

/** The figures over all levels, in the backend's order. */
export function overallFigures(figures: Figure[]): Figure[] {
  return figures.filter((figure) => figure.level === null);
}

export function levelFigure(figures: Figure[], key: FigureKey, level: number): Figure | undefined {
  return figures.find((figure) => figure.key === key && figure.level === level);
}

export function levelName(level: number): string {
  return level === 1 ? t.dash_level_1() : level === 2 ? t.dash_level_2() : t.dash_level_3();
}

/** A figure's value as shown: a percentage, a duration, or a count; "–" when there is none. */
export function figureValue(figure: Figure, locale: string): string {
  if (figure.value === null) return '–';
  switch (figure.unit) {
    case 'share':
      return formatPercent(figure.value, locale);
    case 'minutes':
      return formatMinutes(figure.value, locale);
    case 'count':
      return formatCount(figure.value, locale);
  }
}

/** What a value stands on ("12 von 40", "Tickets: 12"), or why there is none. */
export function figureDetail(figure: Figure, locale: string): string {
  if (figure.value === null) return figure.unit === 'minutes' ? t.dash_none_minutes() : t.dash_none_share();
  switch (figure.unit) {
    case 'share':
      return t.dash_share_of({ count: formatCount(figure.count, locale), of: formatCount(figure.of, locale) });
    case 'minutes':
      return t.dash_over_tickets({ count: formatCount(figure.count, locale) });
    case 'count':
      return '';
  }
}

export type LiveKind = 'open_1' | 'open_2' | 'open_3' | 'department' | 'unclaimed' | 'waiting_expert' | 'sla_at_risk' | 'sla_breached';

/**
 * The queue a live number opens. Only "open at 2nd level" without filters is exactly a
 * queue ("Eskaliert": active tickets at level 2); every other number is part of the queue
 * it opens ("Eskaliert" holds the unclaimed escalations and the claimed ones; "Alle",
 * sorted by SLA due, has the overdue ones first). A lead has no department queue.
 */
export function liveQueue(kind: LiveKind, filtered: boolean): { queue: QueueName; exact: boolean } {
  switch (kind) {
    case 'open_2':
      return { queue: 'escalated', exact: !filtered };
    case 'unclaimed':
      return { queue: 'escalated', exact: false };
    default:
      return { queue: 'all', exact: false };
  }
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function unitWord(figure: Figure): string {
  return { share: t.dash_unit_percent, minutes: t.dash_unit_minutes, count: t.dash_unit_count }[figure.unit]();
}

/** The figures table as CSV rows: shares in percent, times in minutes, one decimal. */
export function figuresCsvRows(figures: Figure[]): CsvCell[][] {
  const header = [t.dash_csv_figure(), t.dash_level(), t.dash_csv_value(), t.dash_csv_unit(), t.dash_csv_count(), t.dash_csv_of()];
  const rows = figures.map((figure): CsvCell[] => {
    const value = figure.value === null ? null : figure.unit === 'share' ? round1(figure.value * 100) : round1(figure.value);
    return [
      figureLabel(figure.key),
      figure.level === null ? null : levelName(figure.level),
      value,
      unitWord(figure),
      figure.count,
      figure.unit === 'share' ? figure.of : null,
    ];
  });
  return [header, ...rows];
}

export function agentName(agentId: string, agents: { id: string; name: string }[]): string {
  return agents.find((agent) => agent.id === agentId)?.name ?? t.dash_unknown_agent();
}

/** The per-agent table as CSV rows. */
export function agentsCsvRows(rows: AgentFigures[], agents: { id: string; name: string }[]): CsvCell[][] {
  const header = [
    t.dash_col_agent(),
    t.dash_col_calls(),
    `${t.figure_first_contact_resolution()} (${t.dash_unit_percent()})`,
    t.dash_col_escalations(),
    `${t.dash_col_handling()} (${t.dash_unit_seconds()})`,
    t.dash_col_calls_answered(),
    t.dash_col_calls_missed(),
    `${t.dash_col_talk()} (${t.dash_unit_seconds()})`,
  ];
  return [
    header,
    ...rows.map((row): CsvCell[] => [
      agentName(row.agent_id, agents),
      row.calls,
      row.first_contact_rate === null ? null : round1(row.first_contact_rate * 100),
      row.escalations,
      row.average_handling_seconds === null ? null : Math.round(row.average_handling_seconds),
      row.calls_answered,
      row.calls_missed,
      row.average_talk_seconds === null ? null : Math.round(row.average_talk_seconds),
    ]),
  ];
}

/** A file name for an export: "kennzahlen-2026-12-01-2026-12-07.csv". */
export function csvFileName(base: string, from: number, toExclusive: number): string {
  const day = (ms: number) => {
    const d = new Date(ms);
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  };
  return `${base}-${day(from)}-${day(Math.max(from, toExclusive - 1))}.csv`;
}
