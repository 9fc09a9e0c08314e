/**
 * zod schemas for the Aseed interviews API, transcribed from the published OpenAPI 3.1 schema
 * (openapi-interviews.json, "Aseed Insight API" 0.1.0). Shapes stay snake_case, exactly as on the wire.
 *
 * Rules followed:
 * - `required` in the spec → required here; everything else is optional.
 * - `anyOf [T, null]` → `.nullish()`: Pydantic usually sends unset fields as `null`, but absent is accepted too.
 * - `display_name` has the only length limit of the API: maxLength 42.
 * - `status` is a free string in the spec, so unknown values are accepted (ROOM_STATUSES lists the documented ones).
 * - Unknown extra properties are stripped, never rejected: the spec does not forbid additions.
 */
import * as z from 'zod';

/** Room statuses listed in the spec description and api.md §3. */
export const ROOM_STATUSES = ['pending', 'active', 'completed', 'expired', 'cancelled'] as const;
/** One of the documented room statuses. */
export type RoomStatus = (typeof ROOM_STATUSES)[number];

/** Largest `count` one create call accepts ("max: 100" in the spec description, enforced by server code). */
export const MAX_ROOMS_PER_CREATE = 100;
/** maxLength of `display_name` in the spec. */
export const DISPLAY_NAME_MAX_LENGTH = 42;

// The spec's `format: uuid` is checked like Pydantic's UUID type and ajv-formats: any 8-4-4-4-12 hex string.
const uuid = () => z.guid();
// `format: date-time`. Pydantic may serialise naive datetimes without an offset, so both forms are accepted.
const dateTime = () => z.iso.datetime({ offset: true, local: true });
const optionalString = () => z.string().nullish();
const displayName = () => z.string().max(DISPLAY_NAME_MAX_LENGTH).nullish();

/** `InterviewConfigResponse` (GET /api/interviews/config). */
export const InterviewConfig = z.object({
  tokens_per_30_min: z.int(),
});
/** Body of GET /api/interviews/config. */
export type InterviewConfig = z.infer<typeof InterviewConfig>;

/** `InterviewRoomResponse`: returned by create (inside `rooms`), list, get and PATCH. */
export const InterviewRoom = z.object({
  id: z.string(),
  project_id: z.string(),
  record_id: optionalString(),
  access_token: z.string(),
  url: z.string(),
  room_name: z.string(),
  respondent_email: optionalString(),
  max_duration_minutes: z.int(),
  research_goals_override: optionalString(),
  interview_guide_override: optionalString(),
  status: z.string(),
  created_at: dateTime(),
  started_at: dateTime().nullish(),
  finished_at: dateTime().nullish(),
  expires_at: dateTime().nullish(),
  created_by: z.string(),
  voice: optionalString(),
  realtime_provider: optionalString(),
  language: optionalString(),
  topics_for_respondent: optionalString(),
  display_name: displayName(),
});
/** One interview room as the API returns it. */
export type InterviewRoom = z.infer<typeof InterviewRoom>;

/** `CreateRoomsRequest` (POST /api/interviews/rooms). Only `project_id` is required; the server fills defaults. */
export const CreateRoomsRequest = z.object({
  project_id: uuid(),
  count: z.int().optional(),
  max_duration_minutes: z.int().optional(),
  expires_in_days: z.int().optional(),
  voice: optionalString(),
  realtime_provider: optionalString(),
  language: optionalString(),
  topics_for_respondent: optionalString(),
});
/** Body of a create call. */
export type CreateRoomsRequest = z.infer<typeof CreateRoomsRequest>;

/** `CreateRoomsResponse`: create answers 200 with the `{ rooms: [...] }` envelope. */
export const CreateRoomsResponse = z.object({
  rooms: z.array(InterviewRoom),
});
/** Body of a successful create call. */
export type CreateRoomsResponse = z.infer<typeof CreateRoomsResponse>;

/** List answers a bare array (no envelope, no pagination). */
export const ListRoomsResponse = z.array(InterviewRoom);

/**
 * `UpdateRoomRequest` (PATCH /api/interviews/rooms/{room_id}): every field optional. Null or absent leaves a
 * field unchanged; clearing is done with the `clear_*` flags (api.md §2.4, the safest reading).
 */
export const UpdateRoomRequest = z.object({
  research_goals_override: optionalString(),
  interview_guide_override: optionalString(),
  topics_for_respondent: optionalString(),
  max_duration_minutes: z.int().nullish(),
  expires_at: dateTime().nullish(),
  clear_research_goals_override: z.boolean().optional(),
  clear_interview_guide_override: z.boolean().optional(),
  clear_topics_for_respondent: z.boolean().optional(),
  display_name: displayName(),
  clear_display_name: z.boolean().optional(),
});
/** Body of a PATCH call. */
export type UpdateRoomRequest = z.infer<typeof UpdateRoomRequest>;

/** `RoomInfoResponse` (public GET /api/interviews/join/{access_token}). */
export const RoomInfo = z.object({
  room_name: z.string(),
  max_duration_minutes: z.int(),
  status: z.string(),
  project_name: optionalString(),
  expires_at: dateTime().nullish(),
  language: optionalString(),
  topics_for_respondent: optionalString(),
});
/** Public room information shown to respondents. */
export type RoomInfo = z.infer<typeof RoomInfo>;

/** `JoinRoomRequest` (public POST /api/interviews/join/{access_token}). */
export const JoinRoomRequest = z.object({
  email: z.email(),
});
/** Body of a join call. */
export type JoinRoomRequest = z.infer<typeof JoinRoomRequest>;

/** `JoinRoomResponse`: every field required. */
export const JoinRoomResponse = z.object({
  token: z.string(),
  url: z.string(),
  room_name: z.string(),
  max_duration_minutes: z.int(),
});
/** LiveKit connection details returned by join. */
export type JoinRoomResponse = z.infer<typeof JoinRoomResponse>;

/** `ValidationError`: one item of a FastAPI 422 body. Newer Pydantic adds `input` and sometimes `ctx`. */
export const ValidationErrorItem = z.object({
  loc: z.array(z.union([z.string(), z.int()])),
  msg: z.string(),
  type: z.string(),
  input: z.unknown().optional(),
  ctx: z.record(z.string(), z.unknown()).optional(),
});
/** One FastAPI validation problem. */
export type ValidationErrorItem = z.infer<typeof ValidationErrorItem>;

/**
 * Any error body: FastAPI sends `{"detail": [ValidationError...]}` for 422 and `{"detail": "<string>"}` for
 * everything else (api.md §4), so `detail` is parsed as either.
 */
export const ErrorBody = z.object({
  detail: z.union([z.string(), z.array(ValidationErrorItem)]),
});
/** A parsed error body. */
export type ErrorBody = z.infer<typeof ErrorBody>;
