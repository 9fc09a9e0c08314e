// In-memory stand-ins of the invite side's ports, for use-case tests that run in milliseconds: a store in
// memory, an Aseed API that keeps its rooms, a mailer that keeps every message.
import { AseedNotFoundError, AseedRejectedError } from '#shared/aseed/errors.ts';
import type { CreateRoomsRequest, InterviewRoom } from '#shared/aseed/schemas.ts';
import { roomKeyOf, roomParamsFor } from '#shared/campaign/rooms.ts';
import { type CampaignSettings, resolveSettings } from '#shared/campaign/settings.ts';
import type { UnreachableAseed } from '#shared/events/unreachable.ts';
import type { InviteAseed, InviteDeps, InviteMailer } from '#shared/invite/index.ts';
import type { BulkEmail, SendOutcome } from '#shared/mail/mailer.ts';
import { createMemoryStore } from '#shared/store/memory/index.ts';
import type { Store } from '#shared/store/ports.ts';
import type { IngestedRespondent } from '#shared/store/types.ts';

/** An Aseed API in memory: rooms are created, listed and cancelled; `failNext` makes calls fail. */
export const fakeAseed = () => {
  const rooms: InterviewRoom[] = [];
  const calls = { create: 0, list: 0, delete: 0, update: 0 };
  /** Failures of the next create calls: the error to throw, and whether the server made the rooms first. */
  const failures: Array<{ error: (request: CreateRoomsRequest) => Error; afterCreating?: boolean }> = [];
  const api: InviteAseed & UnreachableAseed = {
    async createRooms(request) {
      calls.create++;
      const failure = failures.shift();
      const made = Array.from({ length: request.count ?? 1 }, () => {
        const id = `room-${rooms.length + 1}`;
        const room: InterviewRoom = {
          id,
          project_id: request.project_id,
          access_token: `t-${id}`,
          url: `https://aseed.test/i/${id}`,
          room_name: id,
          max_duration_minutes: request.max_duration_minutes ?? 30,
          status: 'pending',
          created_at: new Date().toISOString(),
          expires_at: new Date(Date.now() + 7 * 86_400_000).toISOString(),
          created_by: 'test',
          language: request.language ?? null,
        } as InterviewRoom;
        rooms.push(room);
        return room;
      });
      if (failure && !failure.afterCreating) rooms.splice(rooms.length - made.length);
      if (failure) throw failure.error(request);
      return made;
    },
    async listRooms(filter = {}) {
      calls.list++;
      return rooms.filter(
        (r) => r.project_id === filter.projectId && (!filter.status || r.status === filter.status),
      );
    },
    // As the stand-in answers: 404 for an unknown room, 409 for one no longer pending.
    async deleteRoom(id) {
      calls.delete++;
      const room = rooms.find((r) => r.id === id);
      if (!room) throw new AseedNotFoundError('no such room', { operation: 'deleteRoom', status: 404 });
      if (room.status !== 'pending')
        throw new AseedRejectedError(`room is ${room.status}`, { operation: 'deleteRoom', status: 409 });
      room.status = 'cancelled';
    },
    async updateRoom(id, patch) {
      calls.update++;
      const room = rooms.find((r) => r.id === id);
      if (!room) throw new AseedNotFoundError('no such room', { operation: 'updateRoom', status: 404 });
      if (room.status !== 'pending')
        throw new AseedRejectedError(`room is ${room.status}`, { operation: 'updateRoom', status: 409 });
      if (patch.display_name) room.display_name = patch.display_name;
      if (patch.expires_at) room.expires_at = patch.expires_at;
      return { ...room };
    },
    async getRoom(id) {
      const room = rooms.find((r) => r.id === id);
      if (!room) throw new AseedNotFoundError('no such room', { operation: 'getRoom', status: 404 });
      return { ...room };
    },
  };
  return { api, rooms, calls, failures };
};

/** A mailer in memory: every destination accepted unless `outcomeFor` says otherwise. */
export const fakeMailer = (outcomeFor: (to: string) => SendOutcome | undefined = () => undefined) => {
  const sent: Array<{ to: string; data: unknown; email: BulkEmail }> = [];
  let calls = 0;
  const mailer: InviteMailer = {
    async sendBulk(email) {
      calls++;
      return email.destinations.map((destination) => {
        const outcome = outcomeFor(destination.to) ?? { status: 'sent', messageId: `m-${sent.length + 1}` };
        if (outcome.status === 'sent') sent.push({ to: destination.to, data: destination.data, email });
        return outcome;
      });
    },
  };
  return { mailer, sent, calls: () => calls };
};

/** Settings of a test campaign. */
export const testSettings = (): CampaignSettings =>
  resolveSettings({
    projectId: '7d1f3c2a-5b6e-4f80-9a1b-2c3d4e5f6a7b',
    sender: 'Research <research@example.com>',
  });

/**
 * A campaign as the ingest leaves it, in a memory store: its record (enqueued, with settings) and one batch
 * record per batch of `sizes` respondents. Returns the store and the campaign id.
 */
export const seededCampaign = async (
  sizes: number[],
  store: Store = createMemoryStore(),
  overrides: Partial<CampaignSettings> = {},
) => {
  const campaignId = 'campaign-1';
  const settings = { ...testSettings(), ...overrides };
  const roomKey = roomKeyOf(roomParamsFor(settings, 'en'));
  await store.startIngest({
    campaignId,
    source: { bucket: 'b', key: 'k.csv' },
    owner: 'o',
    nowMs: 0,
    leaseMs: 1000,
  });
  await store.renewIngestLease({ campaignId, owner: 'o', leaseUntil: 1000, settings: settings as never });
  let line = 2;
  await store.writeBatches(
    sizes.map((size, batch) => {
      const respondents = Array.from(
        { length: size },
        (_, seq): IngestedRespondent => ({
          seq,
          line: line++,
          email: `person${batch}-${seq}@example.com`,
          name: `Person ${batch}-${seq}`,
          language: 'en',
          fields: {},
        }),
      );
      return { campaignId, batch, roomKey, parts: [Buffer.from(JSON.stringify(respondents))] };
    }),
    0,
  );
  const total = sizes.reduce((a, b) => a + b, 0);
  await store.finishIngest({
    campaignId,
    owner: 'o',
    nowMs: 1,
    counts: {
      rows: total,
      accepted: total,
      rejected: 0,
      duplicates: 0,
      suppressed: 0,
      batches: sizes.length,
    },
  });
  return { store, campaignId };
};

/** Invite deps over the fakes, with no waiting: the clock is real, the sleeps are skipped. */
export const inviteDeps = (store: Store, aseed: InviteAseed, mailer: InviteMailer): InviteDeps => ({
  store,
  aseed,
  mailer,
  maxReceiveCount: 3,
  reconcileDelayMs: 0,
  sleep: async () => {},
});
