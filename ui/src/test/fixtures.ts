import type { TicketRow, TicketView } from '../ipc';

export function ticketRow(index: number, overrides: Partial<TicketRow> = {}): TicketRow {
  return {
    id: `t${index}`,
    reference: `K7-${String(index).padStart(4, '0')}`,
    subject: `Ticket number ${index}`,
    status: 'open',
    priority: 'normal',
    level: 1,
    customer_name: `Customer ${index}`,
    assignee: null,
    resolution_due: Date.now() + 3_600_000,
    resolved_at: null,
    created_at: 0,
    updated_at: 0,
    ...overrides,
  };
}

export function ticketView(overrides: Partial<TicketView> = {}): TicketView {
  return {
    row: ticketRow(42),
    description: 'The VPN drops every hour.',
    channel: 'phone',
    category: 'Network',
    assignee: null,
    customer: null,
    caller: null,
    first_response_due: null,
    follow_up_at: null,
    first_contact_resolution: false,
    next_statuses: ['waiting_customer', 'resolved'],
    actions: ['add_note', 'log_contact', 'change_status', 'set_follow_up', 'escalate', 'resolve'],
    // What first level can ever do (the backend derives it from the rules).
    possible_actions: [
      'add_note', 'log_contact', 'change_status', 'set_follow_up', 'claim', 'escalate', 'resolve',
      'mark_customer_informed', 'reopen',
    ],
    assigned_to_me: true,
    department: null,
    escalation: null,
    consults: [],
    customer_informed_at: null,
    resolution: null,
    published_articles: [],
    email_recipient: null,
    events: [
      { id: 'e1', at: 1_000, author: 'Anna Agent', kind: 'created', details: [], pending: false, email: null },
      {
        id: 'e2',
        at: 2_000,
        author: 'Anna Agent',
        kind: 'contact_logged',
        details: [
          { key: 'channel', value: 'phone' },
          { key: 'duration_seconds', value: '95' },
        ],
        pending: true,
        email: null,
      },
    ],
    ...overrides,
  };
}
