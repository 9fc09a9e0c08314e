// The campaign's settings on the new-campaign page: the common ones as a form, or a whole settings file
// (the format of `invites send --settings`). The stack's defaults fill whatever is left out.
import type { DraftSettings } from '../draft.ts';

/** The form's fields: the settings a researcher changes most. */
const FIELDS = [
  { key: 'projectId', label: 'Aseed project id', type: 'text', hint: 'UUID; the stack default when empty' },
  {
    key: 'maxDurationMinutes',
    label: 'Interview length (minutes)',
    type: 'number',
    hint: '1–180, default 30',
  },
  { key: 'expiresInDays', label: 'Links valid (days)', type: 'number', hint: '1–90, default 7' },
  { key: 'language', label: 'Room language', type: 'select', hint: 'auto: from each row' },
  { key: 'maxTokens', label: 'Token budget', type: 'number', hint: 'the campaign fails rather than go over' },
  {
    key: 'sendAt',
    label: 'Send at',
    type: 'text',
    hint: 'ISO date-time with zone, e.g. 2026-12-24T09:00:00+01:00',
  },
  { key: 'topicsForRespondent', label: 'Topics shown to respondents', type: 'text', hint: '' },
] as const;

const NUMBERS = new Set(['maxDurationMinutes', 'expiresInDays', 'maxTokens']);

/** The settings object the API takes; undefined when there are none; an Error when the file is not JSON. */
export const settingsOf = (s: DraftSettings): Record<string, unknown> | undefined => {
  if (s.source === 'file') {
    try {
      const value = JSON.parse(s.text.replace(/^\uFEFF/, '')) as unknown;
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new Error('not an object');
      return value as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${s.fileName} is not a JSON object (${(error as Error).message})`);
    }
  }
  const entries = Object.entries(s.fields)
    .filter(([, value]) => value.trim() !== '')
    .map(([key, value]) => [key, NUMBERS.has(key) ? Number(value) : value.trim()]);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
};

/** The form, or the dropped file with a way back to the form. */
export const SettingsInput = ({
  settings,
  onChange,
}: {
  settings: DraftSettings;
  onChange: (s: DraftSettings) => void;
}) => {
  const onFile = async (file: File | undefined) => {
    if (file) onChange({ source: 'file', fileName: file.name, text: await file.text() });
  };
  if (settings.source === 'file') {
    return (
      <fieldset class="settings">
        <legend>Settings</legend>
        <p>
          From {settings.fileName}.{' '}
          <button type="button" class="link" onClick={() => onChange({ source: 'form', fields: {} })}>
            Use the form instead
          </button>
        </p>
      </fieldset>
    );
  }
  const set = (key: string, value: string) =>
    onChange({ source: 'form', fields: { ...settings.fields, [key]: value } });
  return (
    <fieldset class="settings">
      <legend>Settings (optional)</legend>
      <div class="grid">
        {FIELDS.map((f) => (
          <div key={f.key} class="field">
            <label for={`setting-${f.key}`}>{f.label}</label>
            {f.type === 'select' ? (
              <select
                id={`setting-${f.key}`}
                value={settings.fields[f.key] ?? ''}
                onChange={(e) => set(f.key, (e.target as HTMLSelectElement).value)}
              >
                <option value="">default</option>
                <option value="auto">auto</option>
                <option value="en">en</option>
                <option value="ru">ru</option>
              </select>
            ) : (
              <input
                id={`setting-${f.key}`}
                type={f.type}
                value={settings.fields[f.key] ?? ''}
                onInput={(e) => set(f.key, (e.target as HTMLInputElement).value)}
              />
            )}
            {f.hint ? <small class="muted">{f.hint}</small> : null}
          </div>
        ))}
      </div>
      <label class="file">
        Or a settings file (JSON, as for invites send --settings){' '}
        <input
          type="file"
          accept=".json,application/json"
          onChange={(e) => void onFile((e.target as HTMLInputElement).files?.[0])}
        />
      </label>
    </fieldset>
  );
};
