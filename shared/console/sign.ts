// The presigned S3 PUT of a console upload, in one place for the deployed function and the local stack:
// the SDK's own presigner over a plain request, so the console bundles no S3 client (its bundle stays
// under 1 MB) and the URL signs no checksum (the S3 client's default would sign the CRC32 of an empty
// body, `AAAAAA==`, and S3 would refuse every real file).
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { S3RequestPresigner } from '@aws-sdk/s3-request-presigner';
import { HttpRequest } from '@smithy/core/protocols';
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  Checksum,
  SourceData,
} from '@smithy/types';
import type { UploadPorts } from './uploads.ts';

/** SHA-256 (or its HMAC, given a secret) for the signer, from node:crypto. */
class Sha256 implements Checksum {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: SourceData) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    return this.secret === undefined
      ? createHash('sha256')
      : createHmac('sha256', Buffer.from(this.secret as Uint8Array | string));
  }
  update(data: Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

/** Where and as whom uploads are signed. */
export interface UploadSigner {
  bucket: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Path-style base URL (the local stack's); default: the bucket's virtual-hosted S3 endpoint. */
  endpoint?: string;
}

/** The request a PUT of `key` makes, virtual-hosted on S3 or path-style under `endpoint`. */
const requestOf = (s: UploadSigner, key: string, put: { contentType: string; contentLength: number }) => {
  const escaped = key.split('/').map(encodeURIComponent).join('/');
  const base = new URL(s.endpoint ?? `https://${s.bucket}.s3.${s.region}.amazonaws.com`);
  const path = s.endpoint ? `${base.pathname.replace(/\/$/, '')}/${s.bucket}/${escaped}` : `/${escaped}`;
  return new HttpRequest({
    method: 'PUT',
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port ? { port: Number(base.port) } : {}),
    path,
    query: { 'x-id': 'PutObject' },
    headers: {
      host: base.host,
      'content-type': put.contentType,
      'content-length': String(put.contentLength),
    },
  });
};

/** Signs a PUT of `key` that S3 takes only with the signed content type and length. */
export const presignedPut = (s: UploadSigner): UploadPorts['sign'] => {
  const presigner = new S3RequestPresigner({ region: s.region, credentials: s.credentials, sha256: Sha256 });
  return async (key, put) => {
    const signed = await presigner.presign(requestOf(s, key, put), {
      expiresIn: put.expiresInSeconds,
      signableHeaders: new Set(['content-type', 'content-length']),
    });
    const query = new URLSearchParams(signed.query as Record<string, string>)
      .toString()
      .replace(/\+/g, '%20');
    const port = signed.port ? `:${signed.port}` : '';
    return `${signed.protocol}//${signed.hostname}${port}${signed.path}?${query}`;
  };
};
