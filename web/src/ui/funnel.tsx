// The funnel as a small bar chart (SVG, no library): invited → delivered → started → completed, and the
// losses beside; every bar has its figure in text, so the chart needs no colour to be read.
import type { Funnel } from '#shared/report/funnel.ts';
import { figure, percent } from './common.tsx';

const STEPS = [
  ['invited', 'emailed'],
  ['delivered', 'delivered'],
  ['started', 'started'],
  ['completed', 'completed'],
  ['bounced', 'bounced'],
  ['complained', 'complained'],
  ['unsubscribed', 'unsubscribed'],
  ['expired', 'expired'],
] as const satisfies ReadonlyArray<readonly [string, keyof Funnel]>;

const LOSSES = new Set(['bounced', 'complained', 'unsubscribed', 'expired']);
const ROW = 26;
const LABEL = 110;
const WIDTH = 520;

/** The funnel chart of a campaign. */
export const FunnelChart = ({ funnel }: { funnel: Funnel }) => {
  const top = Math.max(1, funnel.emailed);
  const bar = WIDTH - LABEL - 130;
  return (
    <figure class="funnel">
      <svg
        viewBox={`0 0 ${WIDTH} ${STEPS.length * ROW}`}
        role="img"
        aria-labelledby="funnel-title"
        width="100%"
        preserveAspectRatio="xMinYMin meet"
      >
        <title id="funnel-title">{STEPS.map(([label, key]) => `${label} ${funnel[key]}`).join(', ')}</title>
        {STEPS.map(([label, key], i) => {
          const value = funnel[key];
          const y = i * ROW;
          return (
            <g key={label}>
              <text x={0} y={y + 17} class="funnel-label">
                {label}
              </text>
              <rect
                x={LABEL}
                y={y + 4}
                height={ROW - 8}
                width={Math.max(1, (bar * value) / top)}
                class={LOSSES.has(label) ? 'bar bar-loss' : 'bar'}
              />
              <text x={LABEL + bar + 8} y={y + 17} class="funnel-figure">
                {figure(value)} · {percent(value, funnel.emailed)}
              </text>
            </g>
          );
        })}
      </svg>
      <figcaption>Percentages are of those invited (SES accepted the email).</figcaption>
    </figure>
  );
};
