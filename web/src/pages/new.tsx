// The new-campaign page: name it, drop the CSV (and a settings file, or fill the common settings), check
// it with the ingest's own rules, preview and test-send any row's email, then start: the files go to the
// campaign's keys, as `invites send --campaign NAME` puts them.
import { useState } from 'preact/hooks';
import { CAMPAIGN_NAME_RULE } from '#shared/console/names.ts';
import { api, type Draft } from '../api.ts';
import { clearDraft, type DraftSettings, type StoredDraft } from '../draft.ts';
import { navigate } from '../router.ts';
import { TestSendForm } from '../ui/actions.tsx';
import { ErrorNote } from '../ui/common.tsx';
import { CsvDrop } from '../ui/drop.tsx';
import { EmailPreview } from '../ui/preview.tsx';
import { SettingsInput } from '../ui/settings.tsx';
import { ValidationResult } from '../ui/validation.tsx';
import { inputOf, nameFromFile, nameOk, readCsv, tooBigToCheck, useStoredDraft } from './new-draft.ts';

/** Uploads settings (first: the ingest reads them beside the CSV when it arrives), then the CSV. */
const startCampaign = async (name: string, input: Draft): Promise<string> => {
  if (input.settings) {
    const text = JSON.stringify(input.settings, null, 2);
    await api.upload(name, 'settings', new Blob([text], { type: 'application/json' }));
  }
  const grant = await api.upload(name, 'csv', new Blob([input.csv], { type: 'text/csv' }));
  await clearDraft();
  return grant.campaignId;
};

/** Whether the draft may start: checked and fine, or too big for the check and started knowingly. */
const startable = (draft: StoredDraft, input: Draft | undefined): boolean => {
  const v = draft.validation;
  if (!input || !nameOk(draft.name)) return false;
  return Boolean((v && !v.wouldFail && !v.refusal && v.invitable > 0) || tooBigToCheck(draft.csv));
};

/** The name field with its rule. */
const NameField = ({
  name,
  disabled,
  onName,
}: {
  name: string;
  disabled: boolean;
  onName: (n: string) => void;
}) => (
  <>
    <label>
      Campaign name{' '}
      <input
        type="text"
        value={name}
        disabled={disabled}
        aria-invalid={name !== '' && !nameOk(name)}
        aria-describedby="name-rule"
        onInput={(e) => onName((e.target as HTMLInputElement).value.trim())}
      />
    </label>
    <p id="name-rule" class={name !== '' && !nameOk(name) ? 'error-text' : 'muted'}>
      {CAMPAIGN_NAME_RULE}. A name already used adds people to that campaign.
    </p>
  </>
);

/** The new-campaign page. */
export const NewPage = () => {
  const { draft, restored, update } = useStoredDraft();
  const [problem, setProblem] = useState<unknown>(undefined);
  const [busy, setBusy] = useState<'check' | 'start' | undefined>(undefined);
  const { input, settingsProblem } = inputOf(draft);
  const locked = !restored || busy !== undefined;
  // Runs one request with the form locked; its error shows under the buttons.
  const run = async (kind: 'check' | 'start', act: () => Promise<void>) => {
    setBusy(kind);
    setProblem(undefined);
    try {
      await act();
    } catch (error) {
      setProblem(error);
    } finally {
      setBusy(undefined);
    }
  };
  const onCsv = async (file: File) => {
    const read = await readCsv(file);
    if ('problem' in read) return setProblem(new Error(read.problem));
    update({ csvName: file.name, csv: read.text, name: draft.name || nameFromFile(file.name) });
  };
  const check = () =>
    run('check', async () => input && update({ validation: await api.validate(draft.name, input) }));
  const start = () =>
    run('start', async () => input && navigate(`/campaigns/${await startCampaign(draft.name, input)}`));
  const v = draft.validation;
  return (
    <section aria-labelledby="new-title">
      <p>
        <a href="/">← Campaigns</a>
      </p>
      <h1 id="new-title" tabIndex={-1}>
        New campaign
      </h1>
      {!restored ? <p aria-live="polite">Loading…</p> : null}
      <fieldset class="panel plain" disabled={locked}>
        <NameField name={draft.name} disabled={locked} onName={(name) => update({ name })} />
        <CsvDrop csvName={draft.csvName} onFile={(f) => void onCsv(f)} />
        <SettingsInput
          settings={draft.settings}
          onChange={(settings: DraftSettings) => update({ settings })}
        />
        <ErrorNote error={settingsProblem ? new Error(settingsProblem) : undefined}>Settings: </ErrorNote>
        {tooBigToCheck(draft.csv) ? (
          <p class="warning">
            This file is over 5 MB: the console cannot check it. Check it with `invites send FILE --dry-run`,
            or start it unchecked (the ingest still refuses bad rows, one by one).
          </p>
        ) : null}
        <div class="buttons">
          <button
            type="button"
            onClick={check}
            disabled={!input || !nameOk(draft.name) || tooBigToCheck(draft.csv)}
          >
            {busy === 'check' ? 'Checking…' : 'Check the file'}
          </button>
          <button type="button" class="primary" onClick={start} disabled={!startable(draft, input)}>
            {busy === 'start' ? 'Uploading…' : 'Start the campaign'}
          </button>
        </div>
        <ErrorNote error={problem} />
      </fieldset>
      {v ? <ValidationResult v={v} /> : null}
      {v && input && !v.fileError && !v.settingsError ? (
        <>
          <EmailPreview draft={input} name={draft.name} firstLine={v.firstLine} />
          <TestSendForm send={(to, line) => api.testSend({ ...input, name: draft.name }, to, line)} />
        </>
      ) : null}
    </section>
  );
};
