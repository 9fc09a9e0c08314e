// The console's presigned upload: the URL the SDK's own S3 presigner makes for the same PUT (checked against
// getSignedUrl over an S3 client), less the checksum of an empty body that client would sign.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { presignedPut } from '#shared/console/sign.ts';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'secret',
  sessionToken: 'token/with+chars',
};
const put = { contentType: 'text/csv', contentLength: 1234, expiresInSeconds: 300 };
const KEY = 'campaigns/spring 2026.csv';

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-12-06T12:00:00Z'), toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('presignedPut', () => {
  it("signs the URL the S3 client's presigner signs, without the empty body's checksum", async () => {
    // Prepare
    const s3 = new S3Client({
      region: 'eu-west-1',
      credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
    });
    const sign = presignedPut({ bucket: 'uploads-bucket', region: 'eu-west-1', credentials });

    // Act
    const ours = new URL(await sign(KEY, put));
    const sdk = new URL(
      await getSignedUrl(
        s3,
        new PutObjectCommand({
          Bucket: 'uploads-bucket',
          Key: KEY,
          ContentType: put.contentType,
          ContentLength: put.contentLength,
        }),
        { expiresIn: 300, signableHeaders: new Set(['content-type', 'content-length']) },
      ),
    );
    const sdkDefault = new URL(
      await getSignedUrl(
        new S3Client({ region: 'eu-west-1', credentials }),
        new PutObjectCommand({ Bucket: 'uploads-bucket', Key: KEY }),
      ),
    );

    // Assert
    expect(ours.origin).toBe('https://uploads-bucket.s3.eu-west-1.amazonaws.com');
    expect(ours.pathname).toBe(sdk.pathname);
    expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(sdk.searchParams));
    expect(ours.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect([...ours.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
    // What the S3 client signs by default, and S3 would hold against the real file.
    expect(sdkDefault.searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
  });

  it('signs path-style under a local endpoint, its port in the host', async () => {
    // Act
    const url = new URL(
      await presignedPut({
        bucket: 'local-bucket',
        region: 'us-east-1',
        credentials,
        endpoint: 'http://127.0.0.1:4567/local-s3',
      })(KEY, put),
    );

    // Assert
    expect(url.origin).toBe('http://127.0.0.1:4567');
    expect(url.pathname).toBe('/local-s3/local-bucket/campaigns/spring%202026.csv');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDEXAMPLE\/20261206\/us-east-1\/s3\/aws4_request$/,
    );
  });
});
