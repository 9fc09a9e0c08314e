// The check's answer for a dropped CSV: what would happen (counts, refused rows with line and reason,
// token cost) and anything that would stop the campaign, before anything is created.
import type { ValidationAnswer } from '../api.ts';
import { figure } from './common.tsx';

const Problem = ({ label, text }: { label: string; text: string | undefined }) =>
  text ? (
    <p class="error" role="alert">
      {label}: {text}
    </p>
  ) : null;

/** The counts line and the problems. */
const Summary = ({ v }: { v: ValidationAnswer }) => (
  <>
    <Problem label="This campaign cannot take the file" text={v.refusal} />
    <Problem label="The CSV is unusable" text={v.fileError} />
    <Problem label="The settings are unusable" text={v.settingsError} />
    <Problem label="The templates do not fit this file" text={v.mergeFieldError} />
    <Problem label="Over budget" text={v.budgetProblem} />
    {v.existing ? (
      <p class="warning">
        A campaign named {v.name} exists ({v.existing.status}, {v.existing.uploads} upload
        {v.existing.uploads > 1 ? 's' : ''}): starting adds the people it does not have yet.
      </p>
    ) : null}
    <dl class="counts">
      <dt>Data rows</dt>
      <dd>{figure(v.rows)}</dd>
      <dt>Accepted</dt>
      <dd>{figure(v.accepted)}</dd>
      <dt>Rejected</dt>
      <dd>{figure(v.rejected)}</dd>
      <dt>Duplicates</dt>
      <dd>{figure(v.duplicates)}</dd>
      <dt>Suppressed</dt>
      <dd>{figure(v.suppressed)}</dd>
      {v.existing ? (
        <>
          <dt>Already invited</dt>
          <dd>{figure(v.already)}</dd>
        </>
      ) : null}
      <dt>To invite</dt>
      <dd>
        <strong>{figure(v.invitable)}</strong>
      </dd>
      <dt>Token cost</dt>
      <dd>
        {v.cost.tokens !== undefined
          ? `${figure(v.cost.tokens)} tokens (${figure(v.cost.tokensPer30Min)} per 30 min × ${v.cost.halfHours} × ${figure(v.invitable)})`
          : `unknown: ${v.cost.problem ?? 'no price'}`}
      </dd>
    </dl>
    {v.columns ? <p class="muted">Columns read as: {v.columns}</p> : null}
  </>
);

/** The refused rows (the first thousand the API returns), by line. */
const Refused = ({ v }: { v: ValidationAnswer }) =>
  v.refused.length > 0 ? (
    <details open={v.refused.length <= 20}>
      <summary>
        {figure(v.refusedTotal)} row{v.refusedTotal === 1 ? '' : 's'} will not be invited
      </summary>
      <table class="data">
        <thead>
          <tr>
            <th scope="col" class="num">
              Line
            </th>
            <th scope="col">Address</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {v.refused.map((r) => (
            <tr key={`${r.line}-${r.status}`}>
              <td class="num">{r.line}</td>
              <td>{r.email || '(empty)'}</td>
              <td>
                <span class={`status status-${r.status}`}>{r.status}</span> {r.reason}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {v.refusedTotal > v.refused.length ? (
        <p class="muted">
          … and {figure(v.refusedTotal - v.refused.length)} more: the report lists them all once the campaign
          runs.
        </p>
      ) : null}
    </details>
  ) : null;

/** The whole answer. */
export const ValidationResult = ({ v }: { v: ValidationAnswer }) => (
  <section class="panel" aria-labelledby="validation-title">
    <h2 id="validation-title">
      {v.wouldFail || v.refusal ? 'The check found problems' : 'The check passed'}
    </h2>
    <Summary v={v} />
    <Refused v={v} />
  </section>
);
