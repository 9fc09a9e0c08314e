// The tokens a campaign reserves, and whether they fit the campaign's budget (settings `maxTokens`).

/** Where the token price comes from (`GET /api/interviews/config`). */
export interface TokenPrice {
  /** Tokens one room reserves per started 30 minutes of its duration. */
  tokensPer30Min(): Promise<number>;
}

/** What a campaign's rooms reserve: the price, the duration and the respondents it multiplies. */
export interface Reservation {
  tokensPer30Min: number;
  /** Started half hours of one interview: ceil(maxDurationMinutes / 30). */
  halfHours: number;
  respondents: number;
  tokens: number;
}

/** Tokens the campaign reserves: tokens_per_30_min × ceil(duration / 30) × respondents. */
export const reservationOf = (
  tokensPer30Min: number,
  maxDurationMinutes: number,
  respondents: number,
): Reservation => {
  const halfHours = Math.ceil(maxDurationMinutes / 30);
  return { tokensPer30Min, halfHours, respondents, tokens: tokensPer30Min * halfHours * respondents };
};

const n = (value: number) => value.toLocaleString('en-US');

/** The reservation in words: `1,200 respondents × 1 × 10 tokens per 30 min = 12,000 tokens`. */
export const describeReservation = (r: Reservation): string =>
  `${n(r.respondents)} respondents × ${r.halfHours} × ${n(r.tokensPer30Min)} tokens per 30 min = ${n(r.tokens)} tokens`;

/** Why the reservation is over the budget, with both figures; undefined when it fits (or there is none). */
export const overBudget = (r: Reservation, maxTokens: number | undefined): string | undefined =>
  maxTokens === undefined || r.tokens <= maxTokens
    ? undefined
    : `over budget: the rooms would reserve ${n(r.tokens)} tokens (${describeReservation(r)}), more than maxTokens ${n(maxTokens)}`;
