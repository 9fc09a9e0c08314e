// The presigned S3 PUT of a console upload, in one place for the deployed function and the local stack.
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { UploadPorts } from './uploads.ts';

/**
 * An S3 client for signing uploads. The SDK's default checksum would bake the CRC32 of the (absent) body,
 * `AAAAAA==`, into the URL, and S3 would refuse every real file: checksums only where an operation needs one.
 */
export const uploadSignerClient = (config: S3ClientConfig = {}): S3Client =>
  new S3Client({ ...config, requestChecksumCalculation: 'WHEN_REQUIRED' });

/** Signs a PUT of `key` in `bucket` that S3 takes only with the signed content type and length. */
export const presignedPut =
  (s3: S3Client, bucket: string): UploadPorts['sign'] =>
  (key, put) =>
    getSignedUrl(
      s3,
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentType: put.contentType,
        ContentLength: put.contentLength,
      }),
      { expiresIn: put.expiresInSeconds, signableHeaders: new Set(['content-type', 'content-length']) },
    );
