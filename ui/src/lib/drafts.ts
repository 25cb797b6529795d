// Drafts are stored by the backend (SQLite) so nothing typed is lost on a close or crash.
// The saver throttles writes while the agent types and skips unchanged bodies.
import { api } from '../ipc';
import { throttle } from './timing';

export const DRAFT_SAVE_MS = 300;

export interface DraftSaver {
  /** Saves `body`, or discards the draft when null (nothing worth keeping). */
  update(body: string | null): void;
  /** Writes a pending update now (before a reset, on page hide). */
  flush(): void;
  /** Forgets a pending update and the last saved body (after a discard). */
  cancel(): void;
}

export function createDraftSaver(key: string, ms = DRAFT_SAVE_MS): DraftSaver {
  // undefined: unknown what the backend holds, so the next update always writes.
  let saved: string | null | undefined = undefined;
  const write = throttle((body: string | null) => {
    if (body === saved) return;
    saved = body;
    const call = body === null ? api.discardDraft(key) : api.saveDraft(key, body);
    call.catch((e) => {
      // Try again with the next keystroke rather than lose the text.
      saved = undefined;
      console.warn(`draft ${key} not saved`, e);
    });
  }, ms);
  return {
    update: (body) => write(body),
    flush: () => write.flush(),
    cancel() {
      write.cancel();
      saved = undefined;
    },
  };
}
