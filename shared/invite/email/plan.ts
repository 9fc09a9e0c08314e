// The pure arithmetic of paced sending: which respondents go together, how far ahead a chunk is claimed,
// how close to the deadline a call may start, and how long a throttled call waits.
import { type CampaignSettings, languageFor } from '#shared/campaign/settings.ts';
import type { RespondentItem } from '#shared/store/types.ts';
import { type InviteConfig, SES_CHUNK } from '../config.ts';
import type { SendTiming } from '../context.ts';

/** Respondents due an email: with a room, or `sending` from an interrupted attempt (sent again). */
export const dueForEmail = (respondents: readonly RespondentItem[]): RespondentItem[] =>
  respondents.filter((r) => r.state === 'room_assigned' || r.state === 'sending');

/** The due respondents in chunks of one locale, at most one SendBulkEmail's worth each. */
export const chunksByLocale = (
  settings: CampaignSettings,
  due: readonly RespondentItem[],
): Array<{ locale: string; chunk: RespondentItem[] }> => {
  const byLocale = new Map<string, RespondentItem[]>();
  for (const r of due) {
    const { locale } = languageFor(settings, r.language as Parameters<typeof languageFor>[1]);
    byLocale.set(locale, [...(byLocale.get(locale) ?? []), r]);
  }
  return [...byLocale].flatMap(([locale, group]) =>
    Array.from({ length: Math.ceil(group.length / SES_CHUNK) }, (_, i) => ({
      locale,
      chunk: group.slice(i * SES_CHUNK, (i + 1) * SES_CHUNK),
    })),
  );
};

/** How far ahead of a punctual slot its claims start: twice the recent claim time, within bounds. */
export const claimLeadMs = (config: InviteConfig, timing: SendTiming): number =>
  Math.min(2 * (timing.claimMs ?? config.claimEstimateMs), config.claimLeadMaxMs, config.sendLeaseMs / 4);

/** Margin before the deadline in which no SES call starts: grows with the slowest send + record seen. */
export const sendMarginMs = (config: InviteConfig, timing: SendTiming): number =>
  Math.max(config.sendSafetyMs, Math.min(2 * timing.worstMs, 3 * config.sendSafetyMs));

/** Pause before repeating a throttled call: exponential, half jittered, capped at 2 s. */
export const throttlePauseMs = (retry: number, random: () => number = Math.random): number =>
  Math.min(200 * 2 ** retry, 2000) * (0.5 + random() / 2);

/** A timing that remembers recent worst cases: one slow outlier fades instead of widening it for good. */
export const fadeWorst = (previous: number, observed: number): number => Math.max(observed, previous / 2);
