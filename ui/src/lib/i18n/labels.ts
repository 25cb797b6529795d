// Localized labels for the backend's enums and keys.
import { t, translateKey } from './index.svelte';
import type { Channel, Connection, Direction, DraftHeadings, Priority, QueueName, Role, Status } from '../../ipc';

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
