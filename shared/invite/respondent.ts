// The respondent state machine: the one list of states and the named moves between them. The store applies a
// transition as one conditional write (DynamoDB) or one guarded assignment (memory), from the spec below.

/** Every state a respondent can be in, in journey order; see the state machine in docs/DESIGN.md. */
export const RESPONDENT_STATES = [
  'accepted',
  'room_assigned',
  'sending',
  'emailed',
  'failed',
  'cancelled',
] as const;
/** A respondent's state. */
export type RespondentState = (typeof RESPONDENT_STATES)[number];
/** States after which nothing happens to a respondent any more. */
export const TERMINAL_STATES: readonly RespondentState[] = ['emailed', 'failed', 'cancelled'];
/** True when nothing more happens to a respondent in this state. */
export const isTerminalState = (state: RespondentState): boolean => TERMINAL_STATES.includes(state);

/** Why a respondent failed: counters are kept by kind, never by the text of the reason. */
export type FailureKind =
  /** SES refused the recipient (invalid address, suppressed, …). */
  | 'rejected'
  /** The invitation could not be rendered (no room link, a template error). */
  | 'unrenderable'
  /** Its batch failed on every allowed receive and reached the dead-letter queue. */
  | 'dead-lettered';

/** A failure with its kind and a human-readable reason (shown in the report). */
export interface Failure {
  kind: FailureKind;
  reason: string;
}

/** The progress a respondent's item records along its journey (everything a transition may set). */
export interface RespondentProgress {
  state: RespondentState;
  roomId?: string;
  roomUrl?: string;
  /** ISO expiry of the room (for the email). */
  roomExpiresAt?: string;
  messageId?: string;
  /** When SES accepted the message (ISO). */
  emailedAt?: string;
  /** Send attempt currently holding a `sending` respondent, and until when (epoch ms). */
  sendAttempt?: string;
  sendingUntil?: number;
  reason?: string;
  failureKind?: FailureKind;
  /** State the respondent failed from. */
  failedFrom?: RespondentState;
  /** The respondent failed before any email with its room could have gone out: the room may be cancelled. */
  roomUnsent?: boolean;
  /** Cancelled with its campaign after its invitation went (`--revoke-unstarted`): its room is cancelled too. */
  revoked?: boolean;
  /** Its campaign was cancelled: no reminder or thank-you may go to it any more. */
  followUpsStopped?: boolean;
}

/** A room as handed to a respondent. */
export interface AssignedRoom {
  id: string;
  url: string;
  expiresAt?: string;
}

/** A named move of one respondent; the store applies it only from the states its spec allows. */
export type RespondentTransition =
  /** accepted → room_assigned: the respondent gets its room (the item is created if only its batch had it). */
  | { kind: 'assignRoom'; room: AssignedRoom }
  /** room_assigned → sending: this send attempt holds it until `until` (epoch ms). */
  | { kind: 'claimSend'; attempt: string; until: number }
  /** sending → emailed, with SES's message id and when SES accepted it (ISO). */
  | { kind: 'markEmailed'; messageId: string; at: string }
  /** accepted | room_assigned | sending → failed; `roomUnsent`: no email with its room can have gone out. */
  | { kind: 'fail'; failure: Failure; failedFrom: RespondentState; roomUnsent: boolean }
  /** sending → room_assigned: the attempt's SES call sent nothing, the next attempt sends at once. */
  | { kind: 'releaseSend'; attempt: string }
  /** sending stays sending, lease ended: taken over from a crashed attempt, it may have been emailed. */
  | { kind: 'endSendLease'; attempt: string }
  /** accepted | room_assigned → cancelled: the campaign was cancelled before its invitation went. */
  | { kind: 'cancel'; reason: string }
  /**
   * sending (its attempt's lease ran out, the attempt is gone) → cancelled: it may have been emailed, so its
   * room is cancelled only with `revoke`.
   */
  | { kind: 'cancelStale'; reason: string; revoke: boolean; nowMs: number }
  /** emailed, room unstarted → cancelled (`--revoke-unstarted`): its link stops working. */
  | { kind: 'revoke'; reason: string }
  /** emailed stays emailed, no follow-up any more: its campaign was cancelled. */
  | { kind: 'stopFollowUps' };

/** What a transition needs and does, for the store to apply as one guarded write. */
export interface TransitionSpec {
  from: readonly RespondentState[];
  to: RespondentState;
  set: Partial<RespondentProgress>;
  remove: ReadonlyArray<keyof RespondentProgress>;
  /** Applied only while this send attempt holds the respondent. */
  heldBy?: string;
  /** Applied only when the respondent's send lease ended before this time (epoch ms). */
  leaseEndedBefore?: number;
  /** Applied only while the tracker has seen no move of the room (not started, completed or expired). */
  unstarted?: true;
}

/** The spec of a transition: from which states, to which, and what it records. */
export const transitionSpec = (t: RespondentTransition): TransitionSpec => {
  switch (t.kind) {
    case 'assignRoom':
      return {
        from: ['accepted'],
        to: 'room_assigned',
        set: { roomId: t.room.id, roomUrl: t.room.url, roomExpiresAt: t.room.expiresAt },
        remove: [],
      };
    case 'claimSend':
      return {
        from: ['room_assigned'],
        to: 'sending',
        set: { sendAttempt: t.attempt, sendingUntil: t.until },
        remove: [],
      };
    case 'markEmailed':
      return {
        from: ['sending'],
        to: 'emailed',
        set: { messageId: t.messageId, emailedAt: t.at },
        remove: [],
      };
    case 'fail':
      return {
        from: ['accepted', 'room_assigned', 'sending'],
        to: 'failed',
        set: {
          reason: t.failure.reason,
          failureKind: t.failure.kind,
          failedFrom: t.failedFrom,
          roomUnsent: t.roomUnsent,
        },
        remove: [],
      };
    case 'releaseSend':
      return {
        from: ['sending'],
        to: 'room_assigned',
        set: {},
        remove: ['sendAttempt', 'sendingUntil'],
        heldBy: t.attempt,
      };
    case 'endSendLease':
      return { from: ['sending'], to: 'sending', set: { sendingUntil: 0 }, remove: [], heldBy: t.attempt };
    default:
      return cancelSpec(t);
  }
};

/** The specs of the moves a campaign's cancel makes. */
const cancelSpec = (t: Extract<RespondentTransition, { kind: CancelMove }>): TransitionSpec => {
  switch (t.kind) {
    case 'cancel':
      return {
        from: ['accepted', 'room_assigned'],
        to: 'cancelled',
        set: { reason: t.reason, roomUnsent: true },
        remove: [],
      };
    case 'cancelStale':
      return {
        from: ['sending'],
        to: 'cancelled',
        set: { reason: t.reason, revoked: t.revoke },
        remove: ['sendAttempt', 'sendingUntil'],
        leaseEndedBefore: t.nowMs,
      };
    case 'revoke':
      return {
        from: ['emailed'],
        to: 'cancelled',
        set: { reason: t.reason, revoked: true },
        remove: [],
        unstarted: true,
      };
    case 'stopFollowUps':
      return { from: ['emailed'], to: 'emailed', set: { followUpsStopped: true }, remove: [] };
  }
};

/** The moves of a campaign's cancel. */
type CancelMove = 'cancel' | 'cancelStale' | 'revoke' | 'stopFollowUps';

/** True when the room of a cancelled or failed respondent is still to be cancelled through the API. */
export const roomToCancel = (r: RespondentProgress & { roomCancelled?: boolean }): boolean =>
  r.roomId !== undefined &&
  !r.roomCancelled &&
  ((r.state === 'failed' && r.roomUnsent === true) ||
    (r.state === 'cancelled' && (r.roomUnsent === true || r.revoked === true)));
