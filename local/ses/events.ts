/**
 * The events SES publishes for a message, in the exact shape an EventBridge event destination delivers
 * (`source: aws.ses`, a detail-type per event, the SES event record as `detail`), and the mailbox simulator
 * that decides which ones a message gets. The local event channel keeps them for whoever reads them.
 */
import { randomUUID } from 'node:crypto';

/** SES event types (`detail.eventType`) the local layer produces. */
export type SesEventType =
  | 'Send'
  | 'Delivery'
  | 'Bounce'
  | 'Complaint'
  | 'Reject'
  | 'Rendering Failure'
  | 'DeliveryDelay';

/** EventBridge detail-type of each SES event type. */
export const DETAIL_TYPE: Record<SesEventType, string> = {
  Send: 'Email Sent',
  Delivery: 'Email Delivered',
  Bounce: 'Email Bounced',
  Complaint: 'Email Complaint Received',
  Reject: 'Email Rejected',
  'Rendering Failure': 'Email Rendering Failed',
  DeliveryDelay: 'Email Delivery Delayed',
};

/** An SES event as EventBridge delivers it. */
export interface SesEventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.ses';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: { eventType: SesEventType; mail: SesMail } & Record<string, unknown>;
}

/** The `mail` object of an SES event. */
export interface SesMail {
  timestamp: string;
  source: string;
  sendingAccountId: string;
  messageId: string;
  destination: string[];
  headersTruncated: boolean;
  commonHeaders: { from: string[]; to: string[]; messageId: string; subject: string };
  tags: Record<string, string[]>;
}

/** What one accepted message was. */
export interface SentMessage {
  messageId: string;
  from: string;
  to: string;
  subject: string;
  configurationSet?: string;
  tags: Record<string, string>;
}

/** Where the layer runs: account id and region in ARNs and envelopes. */
export interface EventOrigin {
  account: string;
  region: string;
}

/** The mailbox simulator's addresses (`success@simulator.amazonses.com`, `+label` allowed). */
export type SimulatorMailbox = 'success' | 'bounce' | 'ooto' | 'complaint' | 'suppressionlist';

const SIMULATOR = /^(success|bounce|ooto|complaint|suppressionlist)(\+[^@]*)?@simulator\.amazonses\.com$/i;

/** The simulator mailbox an address is, if any. */
export const simulatorMailbox = (address: string): SimulatorMailbox | undefined =>
  SIMULATOR.exec(address.trim())?.[1]?.toLowerCase() as SimulatorMailbox | undefined;

/** The event types SES publishes after accepting a message to `to`, in order. */
export const eventTypesFor = (to: string): SesEventType[] => {
  switch (simulatorMailbox(to)) {
    case 'bounce':
    case 'suppressionlist':
      return ['Send', 'Bounce'];
    case 'complaint':
      return ['Send', 'Delivery', 'Complaint'];
    default:
      // success@, ooto@ (delivered, then an auto-reply to the sender) and every ordinary address: the local
      // inbox takes the message.
      return ['Send', 'Delivery'];
  }
};

const MTA = 'a8-70.smtp-out.amazonses.com';

/** The event-specific part of the detail (`bounce`, `delivery`…). */
const detailOf = (type: SesEventType, message: SentMessage, time: string): Record<string, unknown> => {
  const feedbackId = `${randomUUID()}-000000`;
  switch (type) {
    case 'Send':
      return { send: {} };
    case 'Delivery':
      return {
        delivery: {
          timestamp: time,
          processingTimeMillis: 120,
          recipients: [message.to],
          smtpResponse: '250 2.6.0 Message received',
          reportingMTA: MTA,
        },
      };
    case 'Bounce':
      return { bounce: bounceOf(message, time, feedbackId) };
    case 'Complaint':
      return {
        complaint: {
          feedbackId,
          complaintSubType: null,
          complainedRecipients: [{ emailAddress: message.to }],
          timestamp: time,
          userAgent: 'Amazon SES Mailbox Simulator',
          complaintFeedbackType: 'abuse',
          arrivalDate: time,
        },
      };
    case 'Reject':
      return { reject: { reason: 'Bad content' } };
    case 'Rendering Failure':
      return { failure: { errorMessage: 'The rendering data lacks a variable the template uses.' } };
    case 'DeliveryDelay':
      return {
        deliveryDelay: {
          timestamp: time,
          delayType: 'TransientCommunicationFailure',
          expirationTime: new Date(Date.parse(time) + 86_400_000).toISOString(),
          delayedRecipients: [{ emailAddress: message.to, status: '4.4.1', diagnosticCode: 'smtp; 421' }],
        },
      };
  }
};

const bounceOf = (message: SentMessage, time: string, feedbackId: string) => {
  const suppressed = simulatorMailbox(message.to) === 'suppressionlist';
  return {
    feedbackId,
    bounceType: 'Permanent',
    bounceSubType: suppressed ? 'Suppressed' : 'General',
    bouncedRecipients: [
      {
        emailAddress: message.to,
        action: 'failed',
        status: '5.1.1',
        diagnosticCode: suppressed
          ? 'Amazon SES has suppressed sending to this address because it has a recent history of bouncing as an invalid address.'
          : 'smtp; 550 5.1.1 user unknown',
      },
    ],
    timestamp: time,
    reportingMTA: `dns; ${MTA}`,
  };
};

/** One SES event for `message`, in the EventBridge envelope. */
export const sesEvent = (
  type: SesEventType,
  message: SentMessage,
  origin: EventOrigin,
  at = new Date(),
): SesEventBridgeEvent => {
  const time = at.toISOString();
  const tags: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(message.tags)) tags[name] = [value];
  if (message.configurationSet) tags['ses:configuration-set'] = [message.configurationSet];
  tags['ses:from-domain'] = [message.from.slice(message.from.lastIndexOf('@') + 1).replace(/>$/, '')];
  const arn = `arn:aws:ses:${origin.region}:${origin.account}`;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': DETAIL_TYPE[type],
    source: 'aws.ses',
    account: origin.account,
    time,
    region: origin.region,
    resources: message.configurationSet ? [`${arn}:configuration-set/${message.configurationSet}`] : [],
    detail: {
      eventType: type,
      mail: {
        timestamp: time,
        source: message.from,
        sendingAccountId: origin.account,
        messageId: message.messageId,
        destination: [message.to],
        headersTruncated: false,
        commonHeaders: {
          from: [message.from],
          to: [message.to],
          messageId: message.messageId,
          subject: message.subject,
        },
        tags,
      },
      ...detailOf(type, message, time),
    },
  };
};

/** The local event channel: every event in order, each with a sequence number readers page by. */
export class SesEventChannel {
  private readonly events: SesEventBridgeEvent[] = [];
  private readonly listeners = new Set<(event: SesEventBridgeEvent) => void>();

  /** Appends events and tells the listeners. */
  publish(...events: SesEventBridgeEvent[]): void {
    for (const event of events) {
      this.events.push(event);
      for (const listener of this.listeners) listener(event);
    }
  }

  /** How many events were published so far (where a new reader starts). */
  get size(): number {
    return this.events.length;
  }

  /** Events after the first `after` ones (a reader's cursor). */
  since(after = 0): SesEventBridgeEvent[] {
    return this.events.slice(after);
  }

  /** Calls `listener` for each later event; returns the unsubscribe. */
  subscribe(listener: (event: SesEventBridgeEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
