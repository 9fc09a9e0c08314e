// Uploads from the console: a presigned S3 PUT of a campaign's CSV or settings, to the keys and under the
// rules of `invites send --campaign NAME`, so the console has no write path the CLI does not have.
import { PermanentError } from '#shared/errors.ts';
import { campaignIdFor } from '#shared/store/keys.ts';
import type { CampaignsPort } from '#shared/store/ports.ts';
import type { CampaignRecord } from '#shared/store/types.ts';
import { settingsKeyFor } from '#shared/store/uploads.ts';
import { CAMPAIGN_NAME, CAMPAIGN_NAME_RULE, UPLOAD_LIMITS } from './names.ts';

/** Seconds a signed upload stays valid: enough to send the file, not to keep the link around. */
const EXPIRES_IN_SECONDS = 300;

const CONTENT_TYPES = { csv: 'text/csv', settings: 'application/json' } as const;

/** What kind of file an upload is. */
export type UploadKind = keyof typeof UPLOAD_LIMITS;

/** An upload the console asks for: the campaign's name, the kind of file, its exact size. */
export interface UploadRequest {
  name: string;
  kind: UploadKind;
  bytes: number;
}

/** A signed upload: PUT the file to `url` with exactly these headers before `expiresAt`. */
export interface UploadGrant {
  campaignId: string;
  key: string;
  url: string;
  headers: { 'content-type': string; 'content-length': string };
  expiresAt: string;
}

/** What granting an upload reaches: the uploads bucket and prefix, a signer, the campaign records. */
export interface UploadPorts {
  bucket: string;
  prefix: string;
  /** A presigned PUT of `key` that S3 accepts only with this content type and length. */
  sign(
    key: string,
    put: { contentType: string; contentLength: number; expiresInSeconds: number },
  ): Promise<string>;
  store: Pick<CampaignsPort, 'getCampaign'>;
}

/** The request from a JSON body, each field checked; a PermanentError naming the first one wrong. */
export const uploadRequestOf = (body: Record<string, unknown>): UploadRequest => {
  const { name, kind, bytes } = body;
  if (typeof name !== 'string' || !CAMPAIGN_NAME.test(name)) {
    throw new PermanentError(`name: ${CAMPAIGN_NAME_RULE}`);
  }
  if (kind !== 'csv' && kind !== 'settings') throw new PermanentError("kind: 'csv' or 'settings'");
  const limit = UPLOAD_LIMITS[kind];
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes < 1 || bytes > limit) {
    throw new PermanentError(
      `bytes: the file's size, from 1 to ${limit} bytes for ${kind === 'csv' ? 'a CSV' : 'settings'}`,
    );
  }
  return { name, kind, bytes };
};

/**
 * Why an upload into the existing campaign `name` would do nothing useful (the CLI and the console refuse
 * the same): a cancelled campaign takes nobody new, and a running one keeps the settings of its first upload.
 */
export const uploadRefusal = (
  name: string,
  record: CampaignRecord | undefined,
  kind: UploadKind,
): string | undefined => {
  if (record?.status === 'cancelled') {
    return `campaign ${name} was cancelled on ${record.cancelledAt?.slice(0, 10) ?? '?'}: it takes nobody new; use another name`;
  }
  if (record && kind === 'settings' && record.status !== 'failed') {
    return `campaign ${name} exists: its settings were fixed by its first upload`;
  }
  return undefined;
};

/**
 * Signs the upload of a campaign's CSV (`<prefix><name>.csv`) or settings (`<prefix><name>.settings.json`),
 * or says why not: `refused` for what the CLI refuses too (a cancelled campaign, settings of one that runs).
 */
export const grantUpload = async (
  ports: UploadPorts,
  request: UploadRequest,
  nowMs: number,
): Promise<{ granted: UploadGrant } | { refused: string }> => {
  const csvKey = `${ports.prefix}${request.name}.csv`;
  const campaignId = campaignIdFor({ bucket: ports.bucket, key: csvKey });
  const refused = uploadRefusal(request.name, await ports.store.getCampaign(campaignId), request.kind);
  if (refused) return { refused };
  const key = request.kind === 'csv' ? csvKey : settingsKeyFor(csvKey);
  const contentType = CONTENT_TYPES[request.kind];
  const url = await ports.sign(key, {
    contentType,
    contentLength: request.bytes,
    expiresInSeconds: EXPIRES_IN_SECONDS,
  });
  return {
    granted: {
      campaignId,
      key,
      url,
      headers: { 'content-type': contentType, 'content-length': String(request.bytes) },
      expiresAt: new Date(nowMs + EXPIRES_IN_SECONDS * 1000).toISOString(),
    },
  };
};
