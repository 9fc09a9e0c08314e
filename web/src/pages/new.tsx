// The new-campaign page: name it, drop the CSV (and a settings file, or fill the common settings), check
// it with the ingest's own rules, preview and test-send any row's email, then start: the files go to the
// campaign's keys, as `invites send --campaign NAME` puts them.
import { useEffect, useState } from 'preact/hooks';
import { CAMPAIGN_NAME, CAMPAIGN_NAME_RULE, UPLOAD_LIMITS } from '#shared/console/names.ts';
import { api, type Draft } from '../api.ts';
import { clearDraft, type DraftSettings, loadDraft, type StoredDraft, saveDraft } from '../draft.ts';
import { navigate } from '../router.ts';
import { TestSendForm } from '../ui/actions.tsx';
import { ErrorNote } from '../ui/common.tsx';
import { EmailPreview } from '../ui/preview.tsx';
import { SettingsInput, settingsOf } from '../ui/settings.tsx';
import { ValidationResult } from '../ui/validation.tsx';

/** The largest file the check takes (a Lambda request's limit); the CLI's dry run checks any size. */
const MAX_CHECK_BYTES = 5_000_000;

const EMPTY: StoredDraft = { name: '', settings: { source: 'form', fields: {} } };

/** The CSV drop zone (a file input inside a label, so a keyboard reaches it too). */
const CsvDrop = ({ csvName, onFile }: { csvName: string | undefined; onFile: (f: File) => void }) => {
  const [over, setOver] = useState(false);
  return (
    <label
      class={over ? 'drop over' : 'drop'}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const file = e.dataTransfer?.files[0];
        if (file) onFile(file);
      }}
    >
      <span>
        {csvName
          ? `CSV: ${csvName} (drop another to replace it)`
          : 'Drop the respondent CSV here, or choose it'}
      </span>
      <input
        type="file"
        accept=".csv,text/csv"
        aria-label="Respondent CSV"
        onChange={(e) => {
          const file = (e.target as HTMLInputElement).files?.[0];
          if (file) onFile(file);
        }}
      />
    </label>
  );
};

/** The new-campaign page. */
export const NewPage = () => {
  const [draft, setDraft] = useState<StoredDraft>(EMPTY);
  const [restored, setRestored] = useState(false);
  const [problem, setProblem] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<'check' | 'start' | undefined>(undefined);
  useEffect(() => {
    void loadDraft().then((saved) => {
      if (saved) setDraft(saved);
      setRestored(true);
    });
  }, []);
  // Any change of the input makes the last check stale: the page keeps only answers for what it shows.
  const update = (change: Partial<StoredDraft>) => {
    const next = { ...draft, ...change };
    if (!('validation' in change)) delete next.validation;
    setDraft(next);
    setProblem(undefined);
    void saveDraft(next);
  };
  const nameOk = CAMPAIGN_NAME.test(draft.name);
  let input: Draft | undefined;
  let settingsProblem: string | undefined;
  try {
    const settings = settingsOf(draft.settings);
    input = draft.csv !== undefined ? { csv: draft.csv, ...(settings ? { settings } : {}) } : undefined;
  } catch (error) {
    settingsProblem = (error as Error).message;
  }
  const tooBig = draft.csv !== undefined && new Blob([draft.csv]).size > MAX_CHECK_BYTES;
  const onCsv = async (file: File) => {
    if (file.size > UPLOAD_LIMITS.csv) {
      setProblem(new Error(`${file.name} is over ${UPLOAD_LIMITS.csv / 1024 / 1024} MB: split it`));
      return;
    }
    const name = draft.name || file.name.replace(/\.csv$/i, '').replace(/[^A-Za-z0-9._-]/g, '-');
    update({ csvName: file.name, csv: await file.text(), name });
  };
  const check = async () => {
    if (!input) return;
    setBusy('check');
    try {
      update({ validation: await api.validate(draft.name, input) });
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(undefined);
    }
  };
  const start = async () => {
    if (!input) return;
    setBusy('start');
    try {
      // Settings first: the ingest reads them beside the CSV when the CSV arrives.
      if (input.settings) {
        const text = JSON.stringify(input.settings, null, 2);
        await api.upload(draft.name, 'settings', new Blob([text], { type: 'application/json' }));
      }
      const grant = await api.upload(draft.name, 'csv', new Blob([input.csv], { type: 'text/csv' }));
      await clearDraft();
      navigate(`/campaigns/${grant.campaignId}`);
    } catch (error) {
      setProblem(error);
      setBusy(undefined);
    }
  };
  const v = draft.validation;
  const startable = input && nameOk && ((v && !v.wouldFail && !v.refusal && v.invitable > 0) || tooBig);
  return (
    <section aria-labelledby="new-title">
      <p>
        <a href="/">← Campaigns</a>
      </p>
      <h1 id="new-title">New campaign</h1>
      {!restored ? <p aria-live="polite">Loading…</p> : null}
      <div class="panel">
        <label>
          Campaign name{' '}
          <input
            type="text"
            value={draft.name}
            aria-invalid={draft.name !== '' && !nameOk}
            aria-describedby="name-rule"
            onInput={(e) => update({ name: (e.target as HTMLInputElement).value.trim() })}
          />
        </label>
        <p id="name-rule" class={draft.name !== '' && !nameOk ? 'error-text' : 'muted'}>
          {CAMPAIGN_NAME_RULE}. A name already used adds people to that campaign.
        </p>
        <CsvDrop csvName={draft.csvName} onFile={(f) => void onCsv(f)} />
        <SettingsInput
          settings={draft.settings}
          onChange={(settings: DraftSettings) => update({ settings })}
        />
        <ErrorNote error={settingsProblem ? new Error(settingsProblem) : undefined}>Settings: </ErrorNote>
        {tooBig ? (
          <p class="warning">
            This file is over 5 MB: the console cannot check it. Check it with `invites send FILE --dry-run`,
            or start it unchecked (the ingest still refuses bad rows, one by one).
          </p>
        ) : null}
        <div class="buttons">
          <button type="button" onClick={check} disabled={!input || !nameOk || tooBig || busy !== undefined}>
            {busy === 'check' ? 'Checking…' : 'Check the file'}
          </button>
          <button type="button" class="primary" onClick={start} disabled={!startable || busy !== undefined}>
            {busy === 'start' ? 'Uploading…' : 'Start the campaign'}
          </button>
        </div>
        <ErrorNote error={problem} />
      </div>
      {v ? <ValidationResult v={v} /> : null}
      {v && input && !v.fileError && !v.settingsError ? (
        <>
          <EmailPreview draft={input} firstLine={v.firstLine} />
          <TestSendForm send={(to, line) => api.testSend(input, to, line)} />
        </>
      ) : null}
    </section>
  );
};
