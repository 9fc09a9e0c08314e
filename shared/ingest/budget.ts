// The budget guard: with `maxTokens` set, a first pass over the CSV counts who would be invited, and a
// campaign whose rooms would reserve more fails before any batch (and so any room) exists.
import { overBudget, type Reservation, reservationOf, type TokenPrice } from '#shared/campaign/budget.ts';
import type { CampaignSettings } from '#shared/campaign/settings.ts';
import type { CsvInput } from '#shared/csv/encoding.ts';
import { parseRespondentBatches } from '#shared/csv/parse.ts';
import { PermanentError } from '#shared/errors.ts';

/** Respondents the campaign would invite: accepted rows whose address is not on the suppression list. */
export const countInvitees = async (
  body: CsvInput,
  settings: CampaignSettings,
  suppressed: ReadonlySet<string>,
) => {
  let count = 0;
  for await (const rows of parseRespondentBatches(body, { columns: settings.columns })) {
    for (const row of rows) {
      if (row.kind === 'accepted' && !suppressed.has(row.respondent.emailKey)) count++;
    }
  }
  return count;
};

/**
 * The campaign's reservation when `maxTokens` is set; throws a PermanentError (the campaign fails) when
 * it is over the budget, naming both figures, or when there is no way to read the price.
 */
export const checkBudget = async (
  settings: CampaignSettings,
  price: TokenPrice | undefined,
  count: () => Promise<number>,
): Promise<Reservation | undefined> => {
  if (settings.maxTokens === undefined) return undefined;
  if (!price) throw new PermanentError('maxTokens is set, but this ingest cannot read the token price');
  const tokensPer30Min = await price.tokensPer30Min();
  const reservation = reservationOf(tokensPer30Min, settings.maxDurationMinutes, await count());
  const problem = overBudget(reservation, settings.maxTokens);
  if (problem) throw new PermanentError(problem);
  return reservation;
};
