// A presigned S3 PUT (Signature Version 4, query parameters) signed with node:crypto. The S3 client and its
// presigner weigh about 140 KB in the console's bundle, which has to stay under 1 MB; the one URL the console
// signs is this. Unlike the SDK's default (CRC32 checksums "when supported"), it signs no checksum of the
// body: the SDK's presign would sign the checksum of an empty body, and S3 would refuse the real file.
import { createHash, createHmac } from 'node:crypto';

/** The credentials a URL is signed with (the function's role: AWS_ACCESS_KEY_ID, … in Lambda). */
export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One PUT to sign: the object, its exact type and length, how long the URL lasts, and when it is signed. */
export interface PutToSign {
  bucket: string;
  key: string;
  region: string;
  contentType: string;
  contentLength: number;
  expiresInSeconds: number;
  credentials: SigningCredentials;
  now: Date;
}

/** RFC 3986 escaping, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const uriEscape = (value: string) =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** S3's virtual-hosted endpoint of a bucket in `region` (the China regions have their own domain). */
export const s3HostOf = (bucket: string, region: string): string =>
  `${bucket}.s3.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

/** A URL that lets one PUT of exactly this object, type and length, until it expires. */
export const presignPut = (put: PutToSign): string => {
  const host = s3HostOf(put.bucket, put.region);
  const path = `/${put.key.split('/').map(uriEscape).join('/')}`;
  const amzDate = put.now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const date = amzDate.slice(0, 8);
  const scope = `${date}/${put.region}/s3/aws4_request`;
  const signedHeaders = 'content-length;content-type;host';
  const query: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
    'X-Amz-Credential': `${put.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(put.expiresInSeconds),
    ...(put.credentials.sessionToken ? { 'X-Amz-Security-Token': put.credentials.sessionToken } : {}),
    'X-Amz-SignedHeaders': signedHeaders,
    'x-id': 'PutObject',
  };
  // Sorted by the escaped name, as the canonical query string is.
  const pairs = (q: Record<string, string>) =>
    Object.entries(q)
      .map(([k, v]) => [uriEscape(k), uriEscape(v)] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`);
  const canonicalRequest = [
    'PUT',
    path,
    pairs(query).join('&'),
    `content-length:${put.contentLength}\ncontent-type:${put.contentType.trim()}\nhost:${host}\n`,
    signedHeaders,
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    amzDate,
    scope,
    createHash('sha256').update(canonicalRequest, 'utf8').digest('hex'),
  ].join('\n');
  const key = ['s3', 'aws4_request'].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(`AWS4${put.credentials.secretAccessKey}`, date), put.region),
  );
  const signature = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return `https://${host}${path}?${pairs({ ...query, 'X-Amz-Signature': signature }).join('&')}`;
};

/** The function's own credentials from its environment, as Lambda provides them. */
export const credentialsFromEnv = (env: NodeJS.ProcessEnv = process.env): SigningCredentials => {
  const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (!accessKeyId || !secretAccessKey) throw new Error('no AWS credentials in the environment to sign with');
  const sessionToken = env.AWS_SESSION_TOKEN;
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
};
