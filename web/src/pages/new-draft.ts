// The new-campaign page's state: the draft (kept in IndexedDB across reloads), what it asks the API with,
// and the file rules a browser checks before asking (the API checks them again).
import { useEffect, useState } from 'preact/hooks';
import { CAMPAIGN_NAME, MAX_CHECK_BYTES, UPLOAD_LIMITS } from '#shared/console/names.ts';
import type { Draft } from '../api.ts';
import { loadDraft, type StoredDraft, saveDraft } from '../draft.ts';
import { settingsOf } from '../ui/settings.tsx';

const EMPTY: StoredDraft = { name: '', settings: { source: 'form', fields: {} } };

/** The draft, restored once; every change saved; any change of the input drops the last check's answer. */
export const useStoredDraft = () => {
  const [draft, setDraft] = useState<StoredDraft>(EMPTY);
  const [restored, setRestored] = useState(false);
  useEffect(() => {
    void loadDraft().then((saved) => {
      // The form is disabled until here, so nothing typed can be overwritten by the saved draft.
      if (saved) setDraft(saved);
      setRestored(true);
    });
  }, []);
  const update = (change: Partial<StoredDraft>) =>
    setDraft((previous) => {
      const next = { ...previous, ...change };
      if (!('validation' in change)) delete next.validation;
      void saveDraft(next);
      return next;
    });
  return { draft, restored, update };
};

/** What the draft asks the API with, or why its settings cannot be read. */
export const inputOf = (draft: StoredDraft): { input?: Draft; settingsProblem?: string } => {
  try {
    const settings = settingsOf(draft.settings);
    if (draft.csv === undefined) return {};
    return { input: { csv: draft.csv, ...(settings ? { settings } : {}) } };
  } catch (error) {
    return { settingsProblem: (error as Error).message };
  }
};

/** True when the CSV, as the JSON body the check sends, is over what the check takes. */
export const tooBigToCheck = (csv: string | undefined): boolean =>
  csv !== undefined && new Blob([JSON.stringify(csv)]).size > MAX_CHECK_BYTES;

/** True when `name` is a campaign name. */
export const nameOk = (name: string): boolean => CAMPAIGN_NAME.test(name);

/**
 * The text of a dropped CSV: UTF-8 only (its byte order mark kept, so the upload is the very file). Other
 * encodings, which the ingest reads too, would be changed by the browser: the CLI sends those as they are.
 */
export const readCsv = async (file: File): Promise<{ text: string } | { problem: string }> => {
  if (file.size > UPLOAD_LIMITS.csv) {
    return { problem: `${file.name} is over ${UPLOAD_LIMITS.csv / 1024 / 1024} MB: split it` };
  }
  try {
    return {
      text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(await file.arrayBuffer()),
    };
  } catch {
    return {
      problem: `${file.name} is not UTF-8 (an Excel export in Windows-1252 or UTF-16?): save it as "CSV UTF-8", or send it with invites send ${file.name}`,
    };
  }
};

/** A campaign name from a file name (`Spring panel.csv` → `Spring-panel`). */
export const nameFromFile = (fileName: string): string =>
  fileName
    .replace(/\.csv$/i, '')
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 100);
