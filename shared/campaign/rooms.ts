import type { CreateRoomsRequest, InterviewRoom } from '#shared/aseed/schemas.ts';
import { shortHash } from '#shared/store/keys.ts';
import type { RoomParams } from '#shared/store/types.ts';

/** The part of the campaign settings that decides what a room looks like. */
export interface RoomSettings {
  projectId: string;
  maxDurationMinutes: number;
  expiresInDays: number;
  voice?: string | undefined;
  realtimeProvider?: string | undefined;
  topicsForRespondent?: string | undefined;
}

/**
 * Room parameters for one respondent: the campaign's, with the room language resolved for the respondent
 * (`languageFor` in settings.ts: their own language from the CSV wins; undefined = Aseed decides).
 */
export const roomParamsFor = (settings: RoomSettings, roomLanguage: string | undefined): RoomParams => {
  const params: RoomParams = {
    projectId: settings.projectId,
    maxDurationMinutes: settings.maxDurationMinutes,
    expiresInDays: settings.expiresInDays,
  };
  const language = roomLanguage;
  if (settings.voice) params.voice = settings.voice;
  if (settings.realtimeProvider) params.realtimeProvider = settings.realtimeProvider;
  if (language) params.language = language;
  if (settings.topicsForRespondent) params.topicsForRespondent = settings.topicsForRespondent;
  return params;
};

/** Room-settings key: respondents with equal keys can share a batch, a create call and a spare pool. */
export const roomKeyOf = (params: RoomParams): string =>
  shortHash([
    params.projectId,
    params.maxDurationMinutes,
    params.expiresInDays,
    params.voice ?? null,
    params.realtimeProvider ?? null,
    params.language ?? null,
    params.topicsForRespondent ?? null,
  ]);

/** The create-call body for `count` rooms with `params`. */
export const createRequestOf = (params: RoomParams, count: number): CreateRoomsRequest => ({
  project_id: params.projectId,
  count,
  max_duration_minutes: params.maxDurationMinutes,
  expires_in_days: params.expiresInDays,
  ...(params.voice ? { voice: params.voice } : {}),
  ...(params.realtimeProvider ? { realtime_provider: params.realtimeProvider } : {}),
  ...(params.language ? { language: params.language } : {}),
  ...(params.topicsForRespondent ? { topics_for_respondent: params.topicsForRespondent } : {}),
});

// A field we did not send may come back with a server default, so only fields we sent are compared.
const same = (listed: string | null | undefined, sent: string | undefined) =>
  sent === undefined || listed === sent;

/**
 * True when a listed room could come from a create call with `params`: same project, duration and the
 * creation-time fields, still pending, and never touched by anyone (no respondent, no display name).
 */
export const roomMatchesParams = (room: InterviewRoom, params: RoomParams): boolean =>
  room.project_id === params.projectId &&
  room.status === 'pending' &&
  room.max_duration_minutes === params.maxDurationMinutes &&
  same(room.voice, params.voice) &&
  same(room.realtime_provider, params.realtimeProvider) &&
  same(room.language, params.language) &&
  same(room.topics_for_respondent, params.topicsForRespondent) &&
  !room.respondent_email &&
  !room.display_name;
