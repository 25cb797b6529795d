// Which buttons the ticket view's action bar holds for a role. The bar shows every action
// the role can ever take on a ticket, in one fixed order, and disables what does not
// apply right now: an action that changes the ticket's state then never makes the
// buttons move, so the next click lands where the agent aims.
import type { Role, TicketAction } from '../ipc';

/** The bar's actions in their order (notes and consult answers live elsewhere). */
export const BAR_ACTIONS = [
  'claim',
  'resolve',
  'request_consult',
  'escalate',
  'hand_back',
  'hand_over_to_expert',
  'return_from_expert',
  'mark_customer_informed',
  'draft_kb_article',
  'reopen',
  'log_contact',
  'change_status',
] as const satisfies readonly TicketAction[];

export type BarAction = (typeof BAR_ACTIONS)[number];

/** What each role may take at some level and state; mirrors helpline-domain's permissions.rs. */
const ROLE_ACTIONS: Record<Role, readonly BarAction[]> = {
  first_level: ['claim', 'resolve', 'escalate', 'mark_customer_informed', 'reopen', 'log_contact', 'change_status'],
  second_level: [
    'claim',
    'resolve',
    'request_consult',
    'escalate',
    'hand_back',
    'hand_over_to_expert',
    'mark_customer_informed',
    'draft_kb_article',
    'reopen',
    'log_contact',
    'change_status',
  ],
  expert: ['claim', 'resolve', 'return_from_expert', 'mark_customer_informed', 'draft_kb_article', 'log_contact', 'change_status'],
  supervisor: BAR_ACTIONS,
  admin: BAR_ACTIONS,
};

/**
 * The bar's actions for `role`, in bar order. An action the backend offers is always in
 * it (should the roles ever drift apart, nothing allowed is hidden); without a known role
 * the bar holds everything.
 */
export function barActions(role: Role | undefined, offered: readonly TicketAction[] = []): BarAction[] {
  const forRole: readonly BarAction[] = role ? ROLE_ACTIONS[role] : BAR_ACTIONS;
  return BAR_ACTIONS.filter((action) => forRole.includes(action) || offered.includes(action));
}
