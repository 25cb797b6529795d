// Shared app state: the session, the screen shown, sync status, reference data.
// Components read it directly; the backend is only reached through ../ipc.
import type { KbArticleView, KbEdit, OrgSettingsView, QueueName, ReferenceData, Role, Session, SyncView } from '../ipc';

export type Route =
  | { name: 'call' }
  | { name: 'queue' }
  | { name: 'ticket'; id: string }
  | { name: 'consults' }
  /** Today's calls: inbound and outbound, missed ones to call back. */
  | { name: 'calls' }
  /** The knowledge base, with one article open. */
  | { name: 'kb'; articleId?: string }
  /** The KB editor: a new article, an edit, or (with `theirs`) merging a stale edit. */
  | { name: 'kb_edit'; edit: KbEdit; theirs?: KbArticleView }
  /** Missing articles: calls no article answered, grouped, for those who write the KB. */
  | { name: 'kb_gaps' }
  /** The supervisor's dashboard: live queues and the organisation's numbers (leads only). */
  | { name: 'dashboard' }
  /** Administration: agents, departments, categories, SLA, settings, the log (admins, online). */
  | { name: 'admin' }
  | { name: 'settings' };

export const EMPTY_SYNC: SyncView = {
  connection: 'signed_out',
  pending: 0,
  last_sync: null,
  last_error: null,
  progress: null,
  rejected: [],
};

class AppState {
  session = $state<Session | null>(null);
  route = $state<Route>({ name: 'call' });
  /** Where "Back" in the ticket view returns to. */
  previous = $state<Route>({ name: 'queue' });
  sync = $state<SyncView>(EMPTY_SYNC);
  referenceData = $state<ReferenceData>({ categories: [], departments: [], agents: [] });
  /** The queue tab, kept while the agent visits other screens. */
  queue = $state<QueueName>('mine');
  helpOpen = $state(false);
  /** Bumped on the backend's `tickets-changed`: queues and the open ticket reload. */
  ticketsVersion = $state(0);
  /** Set by '/': the queue focuses its filter box once it is showing, and clears the flag. */
  wantsFilterFocus = $state(false);
  /** Set by Alt+N: the call form focuses its first field once showing, and clears the flag. */
  wantsCallFocus = $state(false);
  /** The organisation's settings as this desktop last pulled them (loaded by the dashboard). */
  orgSettings = $state<OrgSettingsView | null>(null);

  get signedIn(): boolean {
    return this.session?.agent != null;
  }

  /** After sign-in: L1 starts on the call form and their own tickets, L2 on the escalated queue. */
  setSession(session: Session): void {
    const agentChanged = session.agent?.id !== this.session?.agent?.id;
    this.session = session;
    if (agentChanged && session.agent) {
      this.queue = defaultQueue(session.agent.role);
      this.route = homeRoute(session.agent.role);
    }
  }

  navigate(route: Route): void {
    if (route.name === 'ticket' && this.route.name !== 'ticket') this.previous = this.route;
    this.route = route;
  }

  /** Whether the signed-in agent writes KB articles (second level, experts, leads). */
  get writesKb(): boolean {
    const role = this.session?.agent?.role;
    return role !== undefined && role !== 'first_level';
  }

  /** Whether the signed-in agent publishes and archives KB articles. */
  get publishesKb(): boolean {
    const role = this.session?.agent?.role;
    return role === 'second_level' || role === 'supervisor' || role === 'admin';
  }

  /** Whether the signed-in agent answers consults (experts, leads). */
  get answersConsults(): boolean {
    const role = this.session?.agent?.role;
    return role === 'expert' || role === 'supervisor' || role === 'admin';
  }

  /** Whether the signed-in agent sees the supervisor's dashboard (supervisors, admins). */
  get seesDashboard(): boolean {
    const role = this.session?.agent?.role;
    return role === 'supervisor' || role === 'admin';
  }

  /** Whether the signed-in agent administers the hub (admins only). */
  get administers(): boolean {
    return this.session?.agent?.role === 'admin';
  }

  /** Signed in with a one-time password: nothing but choosing a password until it is changed. */
  get mustChangePassword(): boolean {
    return this.signedIn && this.session?.must_change_password === true;
  }

  openTicket(id: string): void {
    this.navigate({ name: 'ticket', id });
  }

  back(): void {
    this.route = this.previous.name === 'ticket' ? { name: 'queue' } : this.previous;
  }
}

export function defaultQueue(role: Role): QueueName {
  switch (role) {
    case 'first_level':
      return 'mine';
    case 'second_level':
      return 'escalated';
    case 'expert':
      return 'department';
    default:
      return 'escalated';
  }
}

/** The queues an agent in `role` works from, in tab order. */
export function queuesFor(role: Role | undefined): QueueName[] {
  switch (role) {
    case 'first_level':
      return ['mine', 'team', 'all'];
    case 'second_level':
      return ['escalated', 'mine', 'team', 'all'];
    case 'expert':
      return ['department', 'mine', 'all'];
    default:
      return ['escalated', 'mine', 'team', 'all'];
  }
}

/** Where an agent starts: first level on the call form, second level on the escalated
 *  queue, experts on the questions sent to their department. */
export function homeRoute(role: Role): Route {
  switch (role) {
    case 'first_level':
      return { name: 'call' };
    case 'expert':
      return { name: 'consults' };
    default:
      return { name: 'queue' };
  }
}

/**
 * Whether the dashboard shows each agent's numbers: only to supervisors, and only where the
 * organisation switched them on (the works council decides; the hub records each view).
 */
export function agentFiguresAllowed(): boolean {
  return app.session?.agent?.role === 'supervisor' && app.orgSettings?.agent_figures === true;
}

export const app = new AppState();
