// Lambda entry of the invite function: config parsed and clients built once per cold start (deps.ts); the
// Aseed token is read lazily from Secrets Manager (cached) on the first API call.
import { createInviteHandler } from './app.ts';
import { inviteDepsFromEnv } from './deps.ts';

/** The Lambda handler (invite queue, partial batch responses). */
export const handler = createInviteHandler(inviteDepsFromEnv('invite'));
