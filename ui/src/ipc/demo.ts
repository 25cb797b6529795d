// An in-memory backend for `npm run dev` in a plain browser (no Tauri): a 100k-ticket
// queue computed on the fly, a few customers and KB articles, drafts in localStorage.
// Loaded only in dev builds outside Tauri (see main.ts); never part of the app bundle.
import { demoAgentFigures, demoDashboard } from './demoDashboard';
import { demoMail } from './demoMail';
import { demoPhone } from './demoPhone';
import { appError, emitEvent, fakeBackend } from './fake';
import type {
  CallerLookup,
  ContactForm,
  CustomerCard,
  EmailReplyForm,
  EmailView,
  DashboardFilter,
  EventView,
  KbArticleView,
  KbSuggestion,
  KbSuggestions,
  Language,
  NewCustomer,
  Outcome,
  Priority,
  QueueName,
  Segment,
  Session,
  Status,
  SyncView,
  TicketRow,
  TicketView,
} from './bindings';

const TOTAL = 100_000;
const HOUR = 3_600_000;
const START = Date.now() - 6 * HOUR;
const SUBJECTS = ['VPN drops every hour', 'Drucker zeigt Papierstau', 'Password reset', 'Invoice missing', 'Laptop will not boot'];
const STATUSES: Status[] = ['open', 'open', 'waiting_customer', 'waiting_expert', 'open'];
const PRIORITIES: Priority[] = ['normal', 'high', 'low', 'urgent', 'normal'];

function article(id: string, title: string, body: string, tags: string[]): KbArticleView {
  return {
    id,
    title,
    body,
    body_html: `<p>${body.replace(/[<>&]/g, '')}</p>`,
    tags,
    category_id: null,
    category: null,
    visibility: 'internal',
    state: 'published',
    revision: 1,
    flagged_outdated: false,
    author: 'Demo',
    edited_by: 'Demo',
    updated_at: Date.now(),
    source_ticket: null,
    usage: { suggested: 3, used: 2, resolved_with: 2 },
    actions: ['edit', 'archive', 'flag_outdated'],
    phrasings: [],
  };
}

const KB: KbArticleView[] = [
  article('kb-vpn', 'Reconnect the VPN client', 'Open the VPN client and choose Reconnect. If it fails, restart the laptop.', ['vpn', 'network']),
  article('kb-paper', 'Papierstau im Drucker beheben', 'Klappe öffnen, Papier vorsichtig ziehen.', ['drucker']),
  article('kb-password', 'Reset a password', 'Use the self-service portal; the agent can send the link.', ['account']),
  article('kb-invoice', 'Resend an invoice', 'Invoices are resent from the billing system within 24 hours.', ['billing']),
];

const customers: CustomerCard[] = [
  { id: 'c1', name: 'Max Mustermann', company: 'Muster GmbH', phones: ['+491511234567'], emails: ['max@muster.de'], likely_duplicate: false, open_tickets: [], recent_tickets: [] },
  { id: 'c2', name: 'Erika Beispiel', company: null, phones: ['+4930123456'], emails: ['erika@example.org'], likely_duplicate: false, open_tickets: [], recent_tickets: [] },
];

function generatedRow(index: number): TicketRow {
  return {
    id: `g${index}`,
    reference: `A1-${String(index + 1).padStart(5, '0')}`,
    subject: `${SUBJECTS[index % SUBJECTS.length]} #${index + 1}`,
    status: STATUSES[index % STATUSES.length],
    priority: PRIORITIES[index % PRIORITIES.length],
    level: index % 3 === 0 ? 2 : 1,
    customer_name: customers[index % customers.length].name,
    assignee: index % 3 === 0 ? null : 'Anna Agent',
    // Sorted by SLA due, like the backend: the first ones are overdue.
    resolution_due: START + index * 60_000,
    resolved_at: ['resolved', 'closed'].includes(STATUSES[index % STATUSES.length]) ? START - HOUR / 2 : null,
    created_at: START - HOUR,
    updated_at: START,
  };
}

const created = new Map<string, TicketView>();
let counter = 41;
let session: Session = {
  agent: null,
  hub_url: 'http://127.0.0.1:7171',
  device_code: 'K7',
  language: 'en',
  shortcut: 'CommandOrControl+Shift+H',
  shortcut_note: null,
  keyring_missing: false,
  demo: true,
  must_change_password: false,
};
let sync: SyncView = { connection: 'signed_out', pending: 0, last_sync: null, last_error: null, progress: null, rejected: [] };

function setSync(next: Partial<SyncView>) {
  sync = { ...sync, ...next };
  void emitEvent('sync-status-changed', sync);
}

function segments(text: string, words: string[]): Segment[] {
  const pattern = new RegExp(`(${words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})`, 'gi');
  return text
    .split(pattern)
    .filter(Boolean)
    .map((part) => ({ text: part, hit: words.some((w) => w.toLowerCase() === part.toLowerCase()) }));
}

function words(text: string): string[] {
  return text.toLowerCase().split(/\W+/u).filter((w) => w.length > 2);
}

function ticketView(row: TicketRow, events: EventView[] = []): TicketView {
  const finished = row.status === 'resolved' || row.status === 'closed';
  const customer = customers.find((c) => c.name === row.customer_name) ?? null;
  const emailRecipient = customer?.emails[0] ?? null;
  const actions: TicketView['actions'] = finished
    ? ['add_note', 'reopen', 'mark_customer_informed']
    : ['add_note', 'log_contact', 'change_status', 'resolve', row.level === 1 ? 'escalate' : 'request_consult'];
  return {
    row,
    description: 'Generated demo ticket.',
    channel: 'phone',
    category: 'Network',
    assignee: null,
    customer,
    caller: null,
    first_response_due: null,
    follow_up_at: null,
    first_contact_resolution: false,
    next_statuses: finished ? ['open'] : (['open', 'waiting_customer', 'resolved'] as Status[]).filter((s) => s !== row.status),
    actions: emailRecipient ? [...actions, 'reply_by_email'] : actions,
    possible_actions: ['add_note', 'log_contact', 'change_status', 'set_follow_up', 'claim', 'escalate', 'resolve', 'request_consult', 'hand_back', 'hand_over_to_expert', 'mark_customer_informed', 'draft_kb_article', 'reopen', 'reply_by_email'],
    assigned_to_me: row.assignee === 'Anna Agent',
    department: null,
    escalation: null,
    consults: [],
    customer_informed_at: null,
    resolution: null,
    published_articles: [],
    email_recipient: emailRecipient,
    events: events.length > 0 ? events : [{ id: `${row.id}-e0`, at: row.created_at, author: 'Demo', kind: 'created', details: [], pending: false, email: null }],
  };
}

/** The demo's e-mail ticket (the queue's second row): the customer's mail with quoted history and a photo, and a first answer. */
function emailTicket(): TicketView {
  const row = generatedRow(1);
  const customerMail: EmailView = {
    inbound: true,
    from: 'erika@example.org',
    from_name: 'Erika Beispiel',
    to: ['support@helpline.example'],
    cc: [],
    subject: 'Re: Drucker zeigt Papierstau',
    text: 'Hallo,\n\ndas hat leider nicht geholfen: Der Drucker meldet immer noch Papierstau, obwohl kein Papier mehr drin ist.\nIm Anhang ein Foto der Anzeige.\n\nViele Grüße\nErika Beispiel',
    quoted: 'Am 07.12.2026 um 09:12 schrieb Helpline Support:\n> Guten Tag Frau Beispiel,\n>\n> bitte öffnen Sie die Klappe und ziehen Sie das Papier vorsichtig heraus.\n>\n> Mit freundlichen Grüßen\n> Anna Agent\n',
    attachments: [
      { sha256: 'a3f1c9d2e4b5a6978877665544332211aabbccddeeff00112233445566778899', name: 'anzeige.jpg', content_type: 'image/jpeg', size: 1_482_113 },
      { sha256: 'b4e2d0c3f5a6b7988877665544332211aabbccddeeff00112233445566778899', name: 'druckerprotokoll.txt', content_type: 'text/plain', size: 2_310 },
    ],
    automatic: false,
    problems: [],
    delivery: null,
  };
  const firstReply: EmailView = {
    inbound: false,
    from: 'support@helpline.example',
    from_name: null,
    to: ['erika@example.org'],
    cc: [],
    subject: 'Re: Drucker zeigt Papierstau',
    text: 'Guten Tag Frau Beispiel,\n\nbitte öffnen Sie die Klappe und ziehen Sie das Papier vorsichtig heraus.\n\nMit freundlichen Grüßen\nAnna Agent',
    quoted: '',
    attachments: [],
    automatic: false,
    problems: [],
    delivery: 'sent',
  };
  const autoReply: EmailView = {
    ...customerMail,
    from: 'mailer-daemon@example.org',
    from_name: null,
    subject: 'Abwesenheitsnotiz: Drucker zeigt Papierstau',
    text: 'Ich bin bis zum 10.12. nicht im Büro.',
    quoted: '',
    attachments: [],
    automatic: true,
  };
  const at = (minutes: number) => row.created_at + minutes * 60_000;
  const event = (n: number, minutes: number, author: string, kind: string, email: EmailView | null, details: EventView['details'] = []): EventView => ({
    id: `${row.id}-e${n}`,
    at: at(minutes),
    author,
    kind,
    details,
    pending: false,
    email,
  });
  const view = ticketView(row, [
    event(0, 0, 'Mail system', 'created', null),
    event(1, 0, 'Mail system', 'email_received', { ...customerMail, subject: 'Drucker zeigt Papierstau', text: 'Unser Drucker im 2. Stock zeigt seit heute früh Papierstau.', quoted: '', attachments: [] }),
    event(2, 20, 'Anna Agent', 'email_reply_queued', firstReply),
    event(3, 22, 'Mail system', 'email_reply_sent', null),
    event(4, 23, 'Mail system', 'email_received', autoReply),
    event(5, 50, 'Mail system', 'email_received', customerMail),
  ]);
  return { ...view, channel: 'email', caller: 'erika@example.org', description: 'Unser Drucker im 2. Stock zeigt seit heute früh Papierstau.', email_recipient: 'erika@example.org' };
}

created.set('g1', emailTicket());

function findView(id: string): TicketView {
  const view = created.get(id);
  if (view) return view;
  const index = Number(id.slice(1));
  if (!id.startsWith('g') || !Number.isInteger(index) || index < 0 || index >= TOTAL) appError('not_found', 'No such ticket');
  const generated = ticketView(generatedRow(index));
  created.set(id, generated);
  return generated;
}

function addEvent(id: string, kind: string, details: Record<string, string>, email: EmailView | null = null) {
  const view = findView(id);
  view.events = [
    ...view.events,
    { id: `${id}-e${view.events.length}`, at: Date.now(), author: session.agent?.name ?? 'Demo', kind, details: Object.entries(details).map(([key, value]) => ({ key, value })), pending: true, email },
  ];
  setSync({ pending: sync.pending + 1 });
}

export function installDemoBackend(): void {
  const drafts = (key: string) => `helpline-demo-draft:${key}`;
  fakeBackend({
    get_session: () => session,
    sign_in: ({ hubUrl, login }) => {
      if (!login) appError('validation', 'Enter your login', 'login');
      // Sign in as "lead" (or "admin") to see the supervisor's dashboard.
      const role = login === 'lead' ? 'supervisor' : login === 'admin' ? 'admin' : 'first_level';
      session = { ...session, hub_url: String(hubUrl), agent: { id: 'a1', name: 'Anna Agent', login: String(login), role, department_id: null } };
      setSync({ connection: 'syncing', progress: { done: 0, total: TOTAL } });
      setTimeout(() => setSync({ connection: 'online', progress: null, last_sync: Date.now() }), 1500);
      return session;
    },
    sign_out: () => {
      session = { ...session, agent: null };
      setSync({ connection: 'signed_out' });
      return session;
    },
    set_language: ({ language }) => (session = { ...session, language: language as Language }),
    set_shortcut: ({ accelerator }) => {
      if (!String(accelerator).includes('+')) appError('validation', 'Use a combination such as Ctrl+Shift+H', 'accelerator');
      return (session = { ...session, shortcut: String(accelerator) });
    },
    get_sync_status: () => sync,
    get_reference_data: () => ({
      categories: [
        { id: 'cat-net', name: 'Network' },
        { id: 'cat-hw', name: 'Hardware' },
        { id: 'cat-bill', name: 'Billing' },
      ],
      departments: [{ id: 'd-it', name: 'IT' }],
      agents: [
        { id: 'a1', name: 'Anna Agent' },
        { id: 'a2', name: 'Ben Becker' },
        { id: 'a3', name: 'Cem Yilmaz' },
      ],
    }),
    get_dashboard: ({ filter }) => demoDashboard(filter as DashboardFilter),
    get_agent_figures: ({ filter }) => demoAgentFigures(filter as DashboardFilter),
    preview_reference: () => `K7-${String(counter + 1).padStart(4, '0')}`,
    lookup_caller: ({ text }): CallerLookup => {
      const value = String(text).trim();
      if (value.includes('@')) {
        return { normalized: value.toLowerCase(), problem: null, customers: customers.filter((c) => c.emails.includes(value.toLowerCase())), open_tickets: [] };
      }
      const digits = value.replace(/[^\d+]/g, '');
      if (digits.replace('+', '').length < 6) return { normalized: null, problem: 'This does not look like a phone number', customers: [], open_tickets: [] };
      const normalized = digits.startsWith('+') ? digits : `+49${digits.replace(/^0/, '')}`;
      return { normalized, problem: null, customers: customers.filter((c) => c.phones.includes(normalized)), open_tickets: [] };
    },
    create_customer: ({ input }) => {
      const fields = input as NewCustomer;
      const card: CustomerCard = {
        id: `c${customers.length + 1}`,
        name: fields.name,
        company: fields.company,
        phones: fields.phone ? [fields.phone] : [],
        emails: fields.email ? [fields.email] : [],
        likely_duplicate: false,
        open_tickets: [],
        recent_tickets: [],
      };
      customers.push(card);
      return card;
    },
    suggest_kb: ({ text }): KbSuggestions => {
      const query = words(String(text));
      const suggestions: KbSuggestion[] = KB.filter((a) =>
        query.some((w) => `${a.title} ${a.tags.join(' ')}`.toLowerCase().includes(w)),
      ).map((a, i) => ({
        id: a.id,
        title: a.title,
        snippet: segments(a.body_html.replace(/<[^>]+>/g, ' ').slice(0, 120), query),
        fit: i === 0 ? 'strong' : 'possible',
        confidence: i === 0 ? 0.8 : 0.4,
      }));
      return { suggestions, nothing_fits: suggestions.length === 0 && query.length >= 2 };
    },
    get_kb_article: ({ id }) => KB.find((a) => a.id === id) ?? appError('not_found', 'No such article'),
    submit_contact: ({ form, outcome }) => {
      const contact = (form as ContactForm).contact;
      const result = outcome as Outcome;
      if (!contact.subject.trim()) appError('validation', 'The subject is required', 'subject');
      counter += 1;
      const reference = `K7-${String(counter).padStart(4, '0')}`;
      const id = `n${counter}`;
      const customer = customers.find((c) => c.id === contact.customer_id) ?? null;
      const status: Status = result.type === 'solved' ? 'resolved' : result.type === 'follow_up' ? 'waiting_customer' : 'open';
      const row: TicketRow = {
        id,
        reference,
        subject: contact.subject,
        status,
        priority: contact.priority,
        level: result.type === 'escalate' ? 2 : 1,
        customer_name: customer?.name ?? null,
        assignee: result.type === 'escalate' ? null : (session.agent?.name ?? null),
        resolution_due: Date.now() + 8 * HOUR,
        resolved_at: status === 'resolved' ? Date.now() : null,
        created_at: Date.now(),
        updated_at: Date.now(),
      };
      created.set(id, { ...ticketView(row), description: contact.description, channel: contact.channel, customer, caller: contact.caller ?? null, first_contact_resolution: result.type === 'solved' });
      addEvent(id, 'contact_logged', { channel: contact.channel, duration_seconds: String(contact.duration_seconds) });
      if (result.type === 'escalate') addEvent(id, 'escalated', { reason: result.reason, steps_tried: result.steps_tried, handover_summary: result.handover_summary });
      if (result.type === 'solved') addEvent(id, 'resolved', { summary: result.summary });
      if (result.type === 'follow_up') addEvent(id, 'follow_up_set', { due: String(result.due), notes: result.note });
      customer?.open_tickets.unshift(row);
      return { ticket_id: id, reference };
    },
    list_queue: ({ queue, offset, limit }) => {
      const start = Number(offset);
      const total = (queue as QueueName) === 'all' ? TOTAL : Math.floor(TOTAL / 4);
      const count = Math.max(0, Math.min(Number(limit), total - start));
      return { total, offset: start, rows: Array.from({ length: count }, (_, i) => generatedRow(start + i)) };
    },
    search_tickets: ({ query }) => {
      const terms = words(String(query));
      const hits = [];
      for (let i = 0; i < 2000 && hits.length < 20; i++) {
        const row = generatedRow(i);
        if (terms.some((w) => row.subject.toLowerCase().includes(w))) {
          hits.push({ id: row.id, reference: row.reference, subject: row.subject, status: row.status, snippet: segments(row.subject, terms) });
        }
      }
      return hits;
    },
    find_ticket: ({ reference }) => {
      const ref = String(reference);
      for (const view of created.values()) if (view.row.reference === ref) return view.row.id;
      const match = /^A1-(\d+)$/.exec(ref);
      return match && Number(match[1]) >= 1 && Number(match[1]) <= TOTAL ? `g${Number(match[1]) - 1}` : null;
    },
    get_ticket: ({ id }) => findView(String(id)),
    add_note: ({ ticketId, body }) => {
      addEvent(String(ticketId), 'note_added', { body: String(body) });
      return null;
    },
    submit_repeat_contact: ({ ticketId, form }) => {
      const c = (form as ContactForm).contact;
      const notes = [c.subject, c.description].filter((t) => t.trim()).join('\n\n');
      addEvent(String(ticketId), 'repeat_contact', { channel: c.channel, direction: c.direction, duration_seconds: String(c.duration_seconds), notes });
      return { ticket_id: String(ticketId), reference: findView(String(ticketId)).row.reference };
    },
    log_follow_up_contact: ({ ticketId, contact }) => {
      const c = contact as { channel: string; direction: string; duration_seconds: number; notes: string };
      addEvent(String(ticketId), 'contact_logged', { channel: c.channel, direction: c.direction, duration_seconds: String(c.duration_seconds), notes: c.notes });
      return null;
    },
    reply_by_email: ({ ticketId, form }) => {
      const reply = form as EmailReplyForm;
      const to = reply.to.map((a) => a.trim()).filter(Boolean);
      if (to.length === 0) appError('validation', 'to: is required', 'to', { code: 'required', params: { field: 'to' } });
      if (!reply.body.trim()) appError('validation', 'body: is required', 'body', { code: 'required', params: { field: 'body' } });
      addEvent(String(ticketId), 'email_reply_queued', {}, {
        inbound: false,
        from: 'support@helpline.example',
        from_name: null,
        to,
        cc: reply.cc,
        subject: reply.subject,
        text: reply.body,
        quoted: '',
        attachments: reply.attachments,
        automatic: false,
        problems: [],
        delivery: 'queued',
      });
      if (reply.kb_article_id) addEvent(String(ticketId), 'kb_used', { article: KB.find((a) => a.id === reply.kb_article_id)?.title ?? '' });
      return null;
    },
    change_status: ({ ticketId, status }) => {
      const view = findView(String(ticketId));
      addEvent(view.row.id, 'status_changed', { from: view.row.status, to: String(status) });
      created.set(view.row.id, ticketView({ ...view.row, status: status as Status }, view.events));
      return null;
    },
    resolve_ticket: ({ ticketId, summary }) => {
      const view = findView(String(ticketId));
      addEvent(view.row.id, 'resolved', { summary: String(summary) });
      created.set(view.row.id, ticketView({ ...view.row, status: 'resolved' }, view.events));
      return null;
    },
    escalate_ticket: ({ ticketId, escalation }) => {
      const view = findView(String(ticketId));
      addEvent(view.row.id, 'escalated', escalation as Record<string, string>);
      created.set(view.row.id, ticketView({ ...view.row, level: 2 }, view.events));
      return null;
    },
    claim_ticket: () => ({ state: 'confirmed' }),
    list_consults: () => [],
    list_kb: ({ query, offset, limit }) => {
      const q = query as { text: string };
      const terms = words(q.text);
      const items = KB.filter((a) => terms.length === 0 || terms.some((w) => `${a.title} ${a.body}`.toLowerCase().includes(w))).map((a) => ({
        id: a.id,
        title: a.title,
        state: a.state,
        visibility: a.visibility,
        category: a.category,
        tags: a.tags,
        flagged_outdated: a.flagged_outdated,
        snippet: terms.length > 0 ? segments(a.body.slice(0, 120), terms) : [],
        usage: a.usage,
        updated_at: a.updated_at,
      }));
      return { total: items.length, offset: Number(offset), items: items.slice(Number(offset), Number(offset) + Number(limit)) };
    },
    list_kb_tags: () => [...new Set(KB.flatMap((a) => a.tags))].map((tag) => ({ tag, articles: 1 })),
    list_kb_conflicts: () => [],
    preview_markdown: ({ body }) => `<p>${String(body).replace(/[<>&]/g, '')}</p>`,
    save_kb_article: ({ edit }) => {
      const e = edit as { article_id: string | null; title: string; body: string; tags: string[] };
      if (!e.title.trim()) appError('validation', 'The title is required', 'title');
      const id = e.article_id ?? `kb-${KB.length + 1}`;
      const existing = KB.findIndex((a) => a.id === id);
      const next = { ...article(id, e.title, e.body, e.tags), state: 'draft' as const };
      if (existing >= 0) KB[existing] = { ...next, revision: KB[existing].revision + 1 };
      else KB.push(next);
      return { type: 'saved', article_id: id, delivery: { state: 'confirmed' }, published: false };
    },
    remove_kb_phrasing: ({ articleId, phrasingId }) => {
      const a = KB.find((k) => k.id === articleId);
      if (a) a.phrasings = a.phrasings.filter((p) => p.id !== phrasingId);
      return null;
    },
    list_knowledge_gaps: () => [
      {
        category: { id: 'c1', name: 'Network' },
        words: ['Printer', 'label'],
        tickets: [0, 3, 6].map(generatedRow).map((t) => ({ id: t.id, reference: t.reference, subject: t.subject, status: t.status, escalated: true, created_at: t.created_at })),
      },
    ],
    draft_kb_from_gap: ({ ticketIds }) => ({
      article_id: null,
      base_revision: null,
      title: 'Printer prints empty labels',
      body: `## Problem\n\n${(ticketIds as string[]).map((id) => `- ${id}`).join('\n')}\n`,
      tags: [],
      category_id: null,
      visibility: 'internal',
      source_ticket: (ticketIds as string[])[0] ?? null,
    }),
    // The browser preview has no notification area: the window's own note is enough.
    show_notification: () => null,
    label_tray: () => null,
    load_draft: ({ key }) => localStorage.getItem(drafts(String(key))),
    save_draft: ({ key, body }) => {
      localStorage.setItem(drafts(String(key)), String(body));
      return null;
    },
    discard_draft: ({ key }) => {
      localStorage.removeItem(drafts(String(key)));
      return null;
    },
    ...demoPhone(customers),
    ...demoMail(),
  });
}
