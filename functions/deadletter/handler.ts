// Lambda entry of the dead-letter function (event source: the invite DLQ): same env and clients as invite
// (functions/invite/deps.ts); each dead-lettered batch is recorded on its campaign (respondents `failed`,
// unsent rooms cancelled, batch tallied) so the campaign completes even when the last receive died.
import { createDeadLetterHandler } from '#functions/invite/app.ts';
import { deadLetterDepsFromEnv } from '#functions/invite/deps.ts';

/** The Lambda handler (invite DLQ, partial batch responses). */
export const handler = createDeadLetterHandler(deadLetterDepsFromEnv('deadletter'));
