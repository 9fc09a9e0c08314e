// The console's presigned upload: the URL S3 would take for a real file (no checksum of an empty body baked
// in), signed for the exact content type and length.
import { describe, expect, it } from 'vitest';
import { presignedPut, uploadSignerClient } from '#shared/console/sign.ts';

describe('presignedPut', () => {
  it('signs content type and length, and carries no checksum of the body it has not seen', async () => {
    // Prepare
    const s3 = uploadSignerClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });
    const sign = presignedPut(s3, 'uploads-bucket');

    // Act
    const url = new URL(
      await sign('campaigns/spring.csv', {
        contentType: 'text/csv',
        contentLength: 1234,
        expiresInSeconds: 300,
      }),
    );

    // Assert
    expect(url.hostname).toBe('uploads-bucket.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/campaigns/spring.csv');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect([...url.searchParams.keys()].filter((k) => /checksum/i.test(k))).toEqual([]);
  });
});
