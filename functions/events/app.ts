// Flow: EventBridge event (an SES event of the configuration set) → events use case → recorded on the
// respondent its message tags name (or ignored). Errors are thrown: Lambda retries the asynchronous invocation
// and then sends the event to the events DLQ, where nothing is lost.
import type { EventBridgeEvent } from 'aws-lambda';
import { recordSesEvent, type SesEventDeps, type SesEventResult } from '#shared/events/record.ts';
import { errorFields, silentLogger } from '#shared/log.ts';

/** The events Lambda handler. */
export type EventsHandler = (event: EventBridgeEvent<string, unknown>) => Promise<SesEventResult>;

/** Builds the events handler over injected deps: handler.ts passes the real store, tests their own. */
export const createEventsHandler =
  (deps: SesEventDeps): EventsHandler =>
  async (event) => {
    const logger = deps.logger ?? silentLogger;
    try {
      return await recordSesEvent(deps, event);
    } catch (error) {
      logger.error('SES event not recorded', { eventId: event.id, ...errorFields(error) });
      throw error;
    }
  };
