// The opt-out link of one respondent's emails: the respondent's keys and an HMAC over them with the
// deployment's secret key, so nobody can opt out someone else by guessing or editing a link.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parseRespondentTag, respondentTag } from '#shared/events/outcome.ts';

/** Which respondent an opt-out link is for. */
export interface OptOutRef {
  campaignId: string;
  batch: number;
  seq: number;
}

/** Where opt-out links point, and the key read when needed (Secrets Manager, cached): what a sender is given. */
export interface OptOutConfig {
  baseUrl: string;
  key: () => Promise<string>;
}

/** Where opt-out links point and the key that signs them. */
export interface OptOutSigner {
  /** The endpoint's URL (a Lambda function URL, or the local runtime's). */
  baseUrl: string;
  /** The secret key (from Secrets Manager); never logged. */
  key: string;
}

/** The signature of a respondent's link: HMAC-SHA256 over campaign and respondent, base64url. */
const signatureOf = (key: string, ref: OptOutRef): string =>
  createHmac('sha256', key)
    .update(`${ref.campaignId}\n${respondentTag(ref.batch, ref.seq)}`)
    .digest('base64url');

/** The respondent's opt-out URL (the same in the List-Unsubscribe header and in the footer). */
export const optOutUrl = (signer: OptOutSigner, ref: OptOutRef): string => {
  const url = new URL(signer.baseUrl);
  url.searchParams.set('c', ref.campaignId);
  url.searchParams.set('r', respondentTag(ref.batch, ref.seq));
  url.searchParams.set('t', signatureOf(signer.key, ref));
  return url.toString();
};

/** The respondent a link's query names, if its signature is right; undefined for anything forged or mangled. */
export const verifyOptOut = (
  key: string,
  query: Readonly<Record<string, string | undefined>>,
): OptOutRef | undefined => {
  const { c: campaignId, r, t } = query;
  if (!campaignId || campaignId.length > 64 || !r || !t) return undefined;
  const tag = parseRespondentTag(r);
  if (!tag) return undefined;
  const ref = { campaignId, ...tag };
  const expected = Buffer.from(signatureOf(key, ref));
  const given = Buffer.from(t);
  return given.length === expected.length && timingSafeEqual(given, expected) ? ref : undefined;
};
