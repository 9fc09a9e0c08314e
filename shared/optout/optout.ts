// The one-click opt-out (RFC 8058): a GET only shows a page with a button (mail scanners follow links), a
// POST (the button, or a mail client's `List-Unsubscribe=One-Click`) records it: the respondent is
// `unsubscribed`, the address joins the suppression list, a pending room is cancelled (tokens back).
import { settleUnreachable, type UnreachableDeps } from '#shared/events/unreachable.ts';
import { maskEmail } from '#shared/log.ts';
import { respondentSk } from '#shared/store/keys.ts';
import type { DeliveriesPort } from '#shared/store/ports.ts';
import { type OptOutRef, verifyOptOut } from './link.ts';
import { type PageLocale, page } from './pages.ts';

/** What the opt-out endpoint needs: the store and Aseed (as after a bounce), and the key links are signed with. */
export interface OptOutDeps extends UnreachableDeps {
  store: UnreachableDeps['store'] & Pick<DeliveriesPort, 'recordDelivery'>;
  /** The signing key (Secrets Manager, cached). */
  key: () => Promise<string>;
}

/** One request to the endpoint: its method and query (the link's parameters). */
export interface OptOutRequest {
  method: string;
  query: Readonly<Record<string, string | undefined>>;
}

/** The endpoint's answer: an HTML page and its status. */
export interface OptOutResponse {
  status: number;
  html: string;
}

/**
 * Answers one request: a page to confirm (GET), the opt-out recorded (POST), a refusal for a link whose
 * signature is wrong (403: nobody can opt out someone else). Safe to repeat.
 */
export const handleOptOut = async (deps: OptOutDeps, request: OptOutRequest): Promise<OptOutResponse> => {
  const method = request.method.toUpperCase();
  const ref = verifyOptOut(await deps.key(), request.query);
  if (!ref) {
    deps.logger.warn('opt-out refused: link not signed by this deployment', { method });
    return { status: 403, html: page('en', 'forged') };
  }
  const sk = respondentSk(ref.batch, ref.seq);
  const respondent = await deps.store.getRespondent(ref.campaignId, sk);
  const locale: PageLocale = respondent?.language === 'ru' ? 'ru' : 'en';
  if (!respondent) return { status: 404, html: page(locale, 'unknown') };
  if (method === 'GET' || method === 'HEAD')
    return { status: 200, html: page(locale, 'confirm', request.query) };
  if (method !== 'POST') return { status: 405, html: page(locale, 'unknown') };
  await recordOptOut(deps, ref, sk, maskEmail(respondent.email));
  return { status: 200, html: page(locale, 'done') };
};

/** Records the opt-out on the respondent, then suppresses the address and gives its room back (idempotent). */
const recordOptOut = async (deps: OptOutDeps, ref: OptOutRef, sk: string, masked: string) => {
  const at = new Date(deps.clock()).toISOString();
  const result = await deps.store.recordDelivery({
    ...ref,
    report: { kind: 'outcome', outcome: 'unsubscribed', at },
    nowMs: deps.clock(),
  });
  const settled = await settleUnreachable(deps, ref.campaignId, sk);
  deps.logger.info('opt-out recorded', {
    campaignId: ref.campaignId,
    respondent: masked,
    result,
    ...settled,
  });
};
