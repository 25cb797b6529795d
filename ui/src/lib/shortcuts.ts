// App-wide keyboard shortcuts. `shortcutFor` is pure (which key means what); the
// registry lets the screen that is showing claim the actions it can perform
// (Alt+S means "solved" in the call form and "resolve" in a ticket).

export type ShortcutAction =
  | 'help'
  | 'new_contact'
  | 'queue'
  | 'knowledge_base'
  | 'dashboard'
  | 'call_log'
  | 'focus_filter'
  | 'solved'
  | 'escalate'
  | 'follow_up'
  | 'suggestion_1'
  | 'suggestion_2'
  | 'suggestion_3'
  | 'suggestion_4'
  | 'suggestion_5'
  | 'solved_it'
  | 'add_to_ticket'
  | 'new_customer'
  | 'close';

/** Listed in the help overlay, in this order. Keys are shown as written here. */
export const SHORTCUTS: { action: ShortcutAction; keys: string[] }[] = [
  { action: 'help', keys: ['?', 'F1'] },
  { action: 'new_contact', keys: ['Alt+N'] },
  { action: 'queue', keys: ['Alt+Q'] },
  { action: 'knowledge_base', keys: ['Alt+K'] },
  { action: 'dashboard', keys: ['Alt+D'] },
  { action: 'call_log', keys: ['Alt+L'] },
  { action: 'focus_filter', keys: ['/', 'Alt+/'] },
  { action: 'solved', keys: ['Alt+S'] },
  { action: 'escalate', keys: ['Alt+E'] },
  { action: 'follow_up', keys: ['Alt+F'] },
  { action: 'suggestion_1', keys: ['Alt+1 … Alt+5'] },
  { action: 'solved_it', keys: ['Alt+Enter'] },
  { action: 'add_to_ticket', keys: ['Alt+T'] },
  { action: 'new_customer', keys: ['Alt+C'] },
  { action: 'close', keys: ['Escape'] },
];

const ALT_LETTERS: Record<string, ShortcutAction> = {
  KeyN: 'new_contact',
  KeyQ: 'queue',
  KeyK: 'knowledge_base',
  KeyD: 'dashboard',
  KeyL: 'call_log',
  KeyS: 'solved',
  KeyE: 'escalate',
  KeyF: 'follow_up',
  Slash: 'focus_filter',
  // The call form: log this call on the caller's open ticket; a new customer for an
  // unknown caller.
  KeyT: 'add_to_ticket',
  KeyC: 'new_customer',
  // The call form's suggestions: open the n-th, and "this solved it" for the open one.
  Digit1: 'suggestion_1',
  Digit2: 'suggestion_2',
  Digit3: 'suggestion_3',
  Digit4: 'suggestion_4',
  Digit5: 'suggestion_5',
  Enter: 'solved_it',
  NumpadEnter: 'solved_it',
};

export interface KeyLike {
  key: string;
  code: string;
  altKey: boolean;
  ctrlKey: boolean;
  metaKey: boolean;
  target: EventTarget | null;
}

/** Is the agent typing? Then plain keys like '/' and '?' belong to the field. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as HTMLElement).tagName !== 'string') return false;
  const element = target as HTMLElement;
  const tag = element.tagName;
  // A select is not a text field: '?' there asks for help like anywhere else.
  if (tag === 'TEXTAREA') return true;
  if (tag === 'INPUT') {
    const type = (element as HTMLInputElement).type;
    return !['button', 'checkbox', 'radio', 'submit', 'reset'].includes(type);
  }
  return element.isContentEditable === true;
}

export function shortcutFor(event: KeyLike): ShortcutAction | null {
  if (event.key === 'Escape') return 'close';
  if (event.key === 'F1') return 'help';
  if (event.ctrlKey || event.metaKey) return null;
  // Alt combinations work everywhere, even while typing. Match on `code`: on macOS
  // Alt turns letters into other characters.
  if (event.altKey) return ALT_LETTERS[event.code] ?? null;
  if (isTypingTarget(event.target)) return null;
  if (event.key === '?') return 'help';
  if (event.key === '/') return 'focus_filter';
  return null;
}

type Handlers = Partial<Record<ShortcutAction, () => void>>;
const stack: Handlers[] = [];

/** Claims actions while the caller is showing; the latest registration wins. Returns the release function. */
export function registerShortcuts(handlers: Handlers): () => void {
  stack.push(handlers);
  return () => {
    const index = stack.lastIndexOf(handlers);
    if (index >= 0) stack.splice(index, 1);
  };
}

/** Runs the handler for an action; false when no screen claims it. */
export function runShortcut(action: ShortcutAction): boolean {
  for (let i = stack.length - 1; i >= 0; i--) {
    const handler = stack[i][action];
    if (handler) {
      handler();
      return true;
    }
  }
  return false;
}
