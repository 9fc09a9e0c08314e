// The console's presigned PUT: the very URL the SDK's presigner signs (without the checksum of an empty body
// the SDK adds by default, which S3 would hold against the real file), so S3 takes it as it takes the SDK's.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { describe, expect, it } from 'vitest';
import { credentialsFromEnv, presignPut } from '#functions/console/presign.ts';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'token/with+odd=chars',
};
const put = {
  bucket: 'aseedinvites-uploads4f6eb0fd-abc123',
  key: 'campaigns/spring-panel.settings.json',
  region: 'eu-west-1',
  contentType: 'application/json',
  contentLength: 1234,
  expiresInSeconds: 300,
  credentials,
  now: new Date('2026-12-07T09:08:07.123Z'),
};

/** The SDK's presigned URL of the same PUT, its checksums only when required. */
const sdkUrl = async (region: string) => {
  const s3 = new S3Client({ region, credentials, requestChecksumCalculation: 'WHEN_REQUIRED' });
  try {
    return await getSignedUrl(
      s3,
      new PutObjectCommand({
        Bucket: put.bucket,
        Key: put.key,
        ContentType: put.contentType,
        ContentLength: put.contentLength,
      }),
      {
        expiresIn: put.expiresInSeconds,
        signableHeaders: new Set(['content-type', 'content-length']),
        signingDate: put.now,
      },
    );
  } finally {
    s3.destroy();
  }
};

describe('presignPut', () => {
  it("signs exactly the URL the SDK's presigner signs, with no checksum for S3 to hold against the file", async () => {
    // Act
    const ours = presignPut(put);
    const china = presignPut({ ...put, region: 'cn-north-1' });

    // Assert
    expect(ours).toBe(await sdkUrl('eu-west-1'));
    expect(china).toBe(await sdkUrl('cn-north-1'));
    expect(ours).not.toMatch(/checksum/i);
    expect(new URL(ours).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
  });

  it("signs with the function's credentials from its environment, and says when there are none", () => {
    // Act
    const found = credentialsFromEnv({
      AWS_ACCESS_KEY_ID: 'a',
      AWS_SECRET_ACCESS_KEY: 'b',
      AWS_SESSION_TOKEN: 'c',
    });

    // Assert
    expect(found).toEqual({ accessKeyId: 'a', secretAccessKey: 'b', sessionToken: 'c' });
    expect(() => credentialsFromEnv({})).toThrow('no AWS credentials in the environment to sign with');
  });
});
