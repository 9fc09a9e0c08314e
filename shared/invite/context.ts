// What the invite use case runs with: its ports (store, Aseed, mailer, send schedule), its clock, and its
// resolved config. Handlers build the deps once; each record gets a context over them.
import { randomUUID } from 'node:crypto';
import type { AseedClient } from '#shared/aseed/client.ts';
import type { Pacer, SendSlot } from '#shared/campaign/pacer.ts';
import { type AppLogger, silentLogger } from '#shared/log.ts';
import type { Mailer } from '#shared/mail/mailer.ts';
import type { AccountQuota } from '#shared/mail/quota.ts';
import type { OptOutConfig } from '#shared/optout/link.ts';
import { realSleep, type Sleep } from '#shared/store/concurrency.ts';
import type { InviteStore } from '#shared/store/ports.ts';
import { type InviteConfig, type InviteOptions, resolveInviteConfig } from './config.ts';

/** The Aseed calls the invite side makes. */
export type InviteAseed = Pick<AseedClient, 'createRooms' | 'listRooms' | 'deleteRoom' | 'updateRoom'>;
/** The mail call the invite side makes. */
export type InviteMailer = Pick<Mailer, 'sendBulk'>;

/** Recent slowest send steps of one container (each halves when a faster one follows: outliers fade). */
export interface SendTiming {
  /** One SES call plus recording its outcomes (ms). */
  worstMs: number;
  /** Claiming one chunk's respondents (ms); unset until measured. */
  claimMs?: number;
}

/** What the invite use case needs; everything is injectable so tests and the local runtime pass their own. */
export interface InviteDeps extends InviteOptions {
  store: InviteStore;
  aseed: InviteAseed;
  mailer: InviteMailer;
  /** SES configuration set to send through, if any. */
  configurationSetName?: string;
  /** Signs each recipient's opt-out link (List-Unsubscribe headers, the footer); none: emails carry neither. */
  optOut?: OptOutConfig;
  /** Pacing of SES sends, shared by every invocation (createSharedPacer); none if absent. */
  pacer?: Pacer;
  /** The SES account's quota (GetAccount, cached): sending waits when it is used up. None: unchecked. */
  quota?: AccountQuota;
  /** Receives after which SQS moves a message to the DLQ (the last receive records it on the campaign). */
  maxReceiveCount: number;
  logger?: AppLogger;
  /** Epoch ms. */
  clock?: () => number;
  sleep?: Sleep;
  newId?: () => string;
  /** Epoch ms when this invocation will be killed (Lambda deadline); none: no deadline. */
  deadlineMs?: number;
  /** Timings seen by this container (shared across records; the handler makes one). */
  sendTiming?: SendTiming;
}

/** One record's view of the deps, defaults resolved. */
export interface Ctx {
  deps: InviteDeps;
  config: InviteConfig;
  store: InviteStore;
  logger: AppLogger;
  clock: () => number;
  sleep: Sleep;
  newId: () => string;
  /** Epoch ms of the invocation's deadline (infinite without one). */
  deadline: number;
  /** Books `count` sends on the schedule (a punctual slot at least `leadMs` ahead). */
  reserveSends: (count: number, leadMs?: number) => Promise<SendSlot>;
  sendTiming: SendTiming;
  quota: AccountQuota | undefined;
}

/** The context of one record over the deps. */
export const contextOf = (deps: InviteDeps): Ctx => ({
  deps,
  config: resolveInviteConfig(deps),
  store: deps.store,
  logger: deps.logger ?? silentLogger,
  clock: deps.clock ?? Date.now,
  sleep: deps.sleep ?? realSleep,
  newId: deps.newId ?? randomUUID,
  deadline: deps.deadlineMs ?? Number.POSITIVE_INFINITY,
  // Unpaced without a schedule: every send is due at once.
  reserveSends: deps.pacer?.reserve.bind(deps.pacer) ?? (async () => ({ at: 0, punctual: false })),
  sendTiming: deps.sendTiming ?? { worstMs: 0 },
  quota: deps.quota,
});

/** An error's message, short enough for an item. */
export const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).slice(0, 300);
