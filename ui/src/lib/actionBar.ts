// Which buttons the ticket view's action bar holds. The bar shows every action the
// agent's role can ever take on a ticket (the backend derives that set from the rules:
// `TicketView.possible_actions`), in one fixed order, and disables what does not apply
// right now: an action that changes the ticket's state then never makes the buttons move,
// so the next click lands where the agent aims.
import type { TicketAction } from '../ipc';

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
  'reply_by_email',
  'log_contact',
  'change_status',
] as const satisfies readonly TicketAction[];

export type BarAction = (typeof BAR_ACTIONS)[number];

/**
 * The bar's actions, in bar order: what the role can ever take (`possible`) and anything
 * offered on this ticket since it was opened (so nothing allowed is ever hidden).
 */
export function barActions(possible: readonly TicketAction[], offered: readonly TicketAction[] = []): BarAction[] {
  return BAR_ACTIONS.filter((action) => possible.includes(action) || offered.includes(action));
}
