// Localized labels for the backend's enums and keys.
import { t, translateKey } from './index.svelte';
import type {
  Channel,
  Connection,
  Direction,
  DraftHeadings,
  FigureKey,
  Language,
  MailProblem,
  MailSecurity,
  Priority,
  QuarantineReason,
  QueueName,
  Role,
  Status,
} from '../../ipc';
import type { Weekday } from '../admin';

export const CHANNELS: Channel[] = ['phone', 'email', 'chat', 'walk_in'];
export const DIRECTIONS: Direction[] = ['inbound', 'outbound'];
export const PRIORITIES: Priority[] = ['low', 'normal', 'high', 'urgent'];

export function channelLabel(channel: Channel): string {
  return { phone: t.channel_phone, email: t.channel_email, chat: t.channel_chat, walk_in: t.channel_walk_in }[channel]();
}

export function directionLabel(direction: Direction): string {
  return { inbound: t.direction_inbound, outbound: t.direction_outbound }[direction]();
}

export function priorityLabel(priority: Priority): string {
  return { low: t.priority_low, normal: t.priority_normal, high: t.priority_high, urgent: t.priority_urgent }[priority]();
}

export function statusLabel(status: Status): string {
  return {
    open: t.status_open,
    waiting_customer: t.status_waiting_customer,
    waiting_expert: t.status_waiting_expert,
    resolved: t.status_resolved,
    closed: t.status_closed,
  }[status]();
}

export function roleLabel(role: Role): string {
  return {
    first_level: t.role_first_level,
    second_level: t.role_second_level,
    expert: t.role_expert,
    supervisor: t.role_supervisor,
    admin: t.role_admin,
  }[role]();
}

export function connectionLabel(connection: Connection): string {
  return {
    online: t.connection_online,
    offline: t.connection_offline,
    syncing: t.connection_syncing,
    signed_out: t.connection_signed_out,
  }[connection]();
}

export function queueLabel(queue: QueueName): string {
  return {
    mine: t.queue_mine,
    team: t.queue_team,
    escalated: t.queue_escalated,
    all: t.queue_all,
    department: t.queue_department,
  }[queue]();
}

/** Timeline event kinds come from the backend as strings; unknown ones show as they are. */
export function eventKindLabel(kind: string): string {
  return translateKey(`event_${kind}`, kind.replaceAll('_', ' '));
}

export function detailKeyLabel(key: string): string {
  return translateKey(`detail_${key}`, key.replaceAll('_', ' '));
}

/** A change (mutation) by its name, as the list of refused changes shows it. */
export function changeLabel(name: string): string {
  return translateKey(`change_${name}`, name.replaceAll('_', ' '));
}

/** A KB draft's section headings in the agent's language (the article is written in it). */
export function draftHeadings(): DraftHeadings {
  return {
    problem: t.kb_draft_problem(),
    solution: t.kb_draft_solution(),
    expert_answers: t.kb_draft_expert_answers(),
    question: t.kb_draft_question(),
    answer: t.kb_draft_answer(),
  };
}

/** A figure's name and the formula it is computed by (crates/helpline-client/src/dashboard.rs). */
const FIGURES: Record<FigureKey, { label: () => string; help: () => string }> = {
  new_tickets: { label: t.figure_new_tickets, help: t.figure_new_tickets_help },
  repeat_contacts: { label: t.figure_repeat_contacts, help: t.figure_repeat_contacts_help },
  first_contact_resolution: { label: t.figure_first_contact_resolution, help: t.figure_first_contact_resolution_help },
  escalation_rate: { label: t.figure_escalation_rate, help: t.figure_escalation_rate_help },
  expert_involvement: { label: t.figure_expert_involvement, help: t.figure_expert_involvement_help },
  consults: { label: t.figure_consults, help: t.figure_consults_help },
  expert_handovers: { label: t.figure_expert_handovers, help: t.figure_expert_handovers_help },
  hand_backs: { label: t.figure_hand_backs, help: t.figure_hand_backs_help },
  reopen_rate: { label: t.figure_reopen_rate, help: t.figure_reopen_rate_help },
  sla_compliance: { label: t.figure_sla_compliance, help: t.figure_sla_compliance_help },
  kb_deflection: { label: t.figure_kb_deflection, help: t.figure_kb_deflection_help },
  first_response_median: { label: t.figure_first_response_median, help: t.figure_first_response_median_help },
  first_response_p90: { label: t.figure_first_response_p90, help: t.figure_first_response_p90_help },
  resolution_median: { label: t.figure_resolution_median, help: t.figure_resolution_median_help },
  resolution_p90: { label: t.figure_resolution_p90, help: t.figure_resolution_p90_help },
};

export function figureLabel(key: FigureKey): string {
  return FIGURES[key].label();
}

export function figureHelp(key: FigureKey): string {
  return FIGURES[key].help();
}

export const ROLES: Role[] = ['first_level', 'second_level', 'expert', 'supervisor', 'admin'];

/** The admin screen's tabs, in order. */
export type AdminTab = 'agents' | 'departments' | 'categories' | 'sla' | 'cti' | 'mail' | 'settings' | 'log';
export const ADMIN_TABS: AdminTab[] = ['agents', 'departments', 'categories', 'sla', 'cti', 'mail', 'settings', 'log'];

export function adminTabLabel(tab: AdminTab): string {
  return {
    agents: t.admin_tab_agents,
    departments: t.admin_tab_departments,
    categories: t.admin_tab_categories,
    sla: t.admin_tab_sla,
    cti: t.admin_tab_cti,
    mail: t.admin_tab_mail,
    settings: t.admin_tab_settings,
    log: t.admin_tab_log,
  }[tab]();
}

/** ISO weekdays (1 Monday … 7 Sunday), as the SLA calendar counts them. */
export function weekdayLabel(day: Weekday): string {
  return {
    1: t.weekday_1,
    2: t.weekday_2,
    3: t.weekday_3,
    4: t.weekday_4,
    5: t.weekday_5,
    6: t.weekday_6,
    7: t.weekday_7,
  }[day]();
}

/** What the hub's admin log names an action (storage/admin.rs); unknown ones show as they are. */
export function adminActionLabel(action: string): string {
  return translateKey(`admin_action_${action}`, action.replaceAll('_', ' '));
}

/** What a mailbox's last fetch ran into, as the admin reads it. */
export function mailProblemLabel(problem: MailProblem): string {
  return {
    unreachable: t.mail_problem_unreachable,
    login_refused: t.mail_problem_login_refused,
    folder_refused: t.mail_problem_folder_refused,
    no_key: t.mail_problem_no_key,
    server: t.mail_problem_server,
  }[problem]();
}

/** Why a mail made no ticket (the quarantine list). */
export function quarantineReasonLabel(reason: QuarantineReason): string {
  return {
    too_large: t.mail_reason_too_large,
    unparseable: t.mail_reason_unparseable,
    no_sender: t.mail_reason_no_sender,
    from_own_address: t.mail_reason_from_own_address,
    refused: t.mail_reason_refused,
  }[reason]();
}

/** Each language by its own name (the same in every UI language, so a reader finds theirs). */
export const LANGUAGE_NAMES: Record<Language, string> = { de: 'Deutsch', en: 'English' };

export const MAIL_SECURITIES: MailSecurity[] = ['tls', 'starttls', 'none'];

export function mailSecurityLabel(security: MailSecurity): string {
  return { tls: t.mail_security_tls, starttls: t.mail_security_starttls, none: t.mail_security_none }[security]();
}
