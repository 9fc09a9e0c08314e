// The new-campaign page's work in progress, kept in this browser's IndexedDB: a reload (or a sign-in that
// expired) brings back the dropped file, the settings and the check's answer.
import type { ValidationAnswer } from './api.ts';

/** The settings of a draft: the form's fields, or a settings file dropped beside the CSV. */
export type DraftSettings =
  | { source: 'form'; fields: Record<string, string> }
  | { source: 'file'; fileName: string; text: string };

/** Everything the new-campaign page holds. */
export interface StoredDraft {
  name: string;
  csvName?: string;
  csv?: string;
  settings: DraftSettings;
  validation?: ValidationAnswer;
}

const DB = 'aseed-invites';
const STORE = 'drafts';
const KEY = 'new-campaign';

const open = (): Promise<IDBDatabase> =>
  new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });

const run = async <T>(
  mode: IDBTransactionMode,
  act: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> => {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = act(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
};

/** The saved draft, if any (a browser without IndexedDB has none). */
export const loadDraft = async (): Promise<StoredDraft | undefined> => {
  try {
    return (await run('readonly', (s) => s.get(KEY))) as StoredDraft | undefined;
  } catch {
    return undefined;
  }
};

/** Saves the draft; false when the browser would not (the page then says a reload loses it). */
export const saveDraft = async (draft: StoredDraft): Promise<boolean> => {
  try {
    await run('readwrite', (s) => s.put(draft, KEY));
    return true;
  } catch {
    return false;
  }
};

/** Forgets the draft (once its campaign started). */
export const clearDraft = async (): Promise<void> => {
  try {
    await run('readwrite', (s) => s.delete(KEY));
  } catch {
    // Nothing saved, nothing to forget.
  }
};
