// A campaign's actions: download report.csv, test-send its invitation, cancel it (with the revoke choice).
// Each shows its own outcome or error beside its button.
import { useState } from 'preact/hooks';
import type { CampaignSummary } from '#shared/console/read.ts';
import { api, type TestSendAnswer } from '../api.ts';
import { ErrorNote } from './common.tsx';

/** Saves a blob under `filename` through a temporary link (the API needs the token, so no plain href). */
const save = (blob: Blob, filename: string) => {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

/** Download of report.csv. */
export const ReportButton = ({ summary }: { summary: CampaignSummary }) => {
  const [state, setState] = useState<{ busy?: boolean; error?: unknown }>({});
  const download = async () => {
    setState({ busy: true });
    try {
      save(await api.report(summary.campaignId), `report-${summary.name}.csv`);
      setState({});
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div class="action">
      <button type="button" onClick={download} disabled={state.busy}>
        {state.busy ? 'Preparing report.csv…' : 'Download report.csv'}
      </button>
      <ErrorNote error={state.error} />
    </div>
  );
};

/** Cancel, after a confirmation that names the consequence of each choice. */
export const CancelForm = ({ summary, onDone }: { summary: CampaignSummary; onDone: () => void }) => {
  const [open, setOpen] = useState(false);
  const cancelled = summary.status === 'cancelled';
  // A cancelled campaign can be cancelled again only to revoke the rooms nobody started.
  const [choice, setRevoke] = useState(false);
  const revoke = choice || cancelled;
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; done?: string }>({});
  if (summary.status === 'failed' || summary.status === 'ingesting') return null;
  const cancel = async (event: Event) => {
    event.preventDefault();
    setState({ busy: true });
    try {
      const answer = await api.cancel(summary.campaignId, revoke);
      setState({
        done: `Cancelled${answer.revokeUnstarted ? '; unstarted rooms are being revoked' : ''}.`,
      });
      setOpen(false);
      onDone();
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <div class="action">
      {open ? (
        <form class="panel" onSubmit={cancel} aria-labelledby="cancel-title">
          <h3 id="cancel-title">Cancel {summary.name}?</h3>
          <p>
            Nobody else gets an invitation or a reminder. Invitations already sent stay valid unless revoked.
          </p>
          <label>
            <input
              type="checkbox"
              checked={revoke}
              disabled={cancelled}
              onChange={(e) => setRevoke((e.target as HTMLInputElement).checked)}
            />{' '}
            Also revoke the rooms nobody has started (their links stop working, their tokens come back)
          </label>
          <div class="buttons">
            <button type="submit" class="danger" disabled={state.busy}>
              Cancel the campaign
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Keep it running
            </button>
          </div>
        </form>
      ) : (
        <button type="button" class="danger" onClick={() => setOpen(true)}>
          {cancelled ? 'Revoke unstarted rooms…' : 'Cancel campaign…'}
        </button>
      )}
      {state.done ? <p role="status">{state.done}</p> : null}
      <ErrorNote error={state.error}>The campaign was not cancelled: </ErrorNote>
    </div>
  );
};

/** A test send of a campaign's invitation (one row's merge fields, a placeholder link) to the researcher. */
export const TestSendForm = ({ send }: { send: (to: string, line?: number) => Promise<TestSendAnswer> }) => {
  const [to, setTo] = useState('');
  const [line, setLine] = useState('');
  const [state, setState] = useState<{ busy?: boolean; error?: unknown; done?: string }>({});
  const submit = async (event: Event) => {
    event.preventDefault();
    setState({ busy: true });
    try {
      const sent = await send(to.trim(), line ? Number(line) : undefined);
      setState({ done: `Sent line ${sent.line}'s invitation to ${sent.to} (message ${sent.messageId}).` });
    } catch (error) {
      setState({ error });
    }
  };
  return (
    <form class="panel test-send" onSubmit={submit} aria-labelledby="test-send-title">
      <h3 id="test-send-title">Test send</h3>
      <p class="muted">Subject marked [TEST], a placeholder link: no room, no tokens.</p>
      <label>
        To{' '}
        <input
          type="email"
          required
          value={to}
          onInput={(e) => setTo((e.target as HTMLInputElement).value)}
        />
      </label>
      <label>
        As line{' '}
        <input
          type="number"
          min={2}
          placeholder="first accepted"
          value={line}
          onInput={(e) => setLine((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={state.busy}>
        Send test
      </button>
      {state.done ? <p role="status">{state.done}</p> : null}
      <ErrorNote error={state.error}>Not sent: </ErrorNote>
    </form>
  );
};
