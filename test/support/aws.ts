import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { type AwsClientOptions, type AwsClients, makeAwsClients } from '#local/aws.ts';
import type { EmulatorEndpoints } from '#local/emulators.ts';

/** Endpoints of the emulators the global setup started. */
export const emulatorEndpoints = (): EmulatorEndpoints => inject('emulators');

/** Clients pointed at the shared emulators (dynalite unless `dynamoEndpoint` says otherwise). */
export const testClients = (options: AwsClientOptions & { dynamoEndpoint?: string } = {}): AwsClients =>
  makeAwsClients(emulatorEndpoints(), options);

/**
 * The DynamoDB emulators of this run, by name: dynalite always, DynamoDB Local when java exists. DynamoDB
 * Local starts on first use: `beforeAll(() => waitForDynamo(endpoint), 90_000)` (from #local/emulators.ts).
 */
export const dynamoTargets = (): Array<{ name: string; endpoint: string }> => {
  const endpoints = emulatorEndpoints();
  return [
    // With LOCAL_DYNAMO=dynamodb-local, `dynamo` already is DynamoDB Local.
    {
      name: endpoints.dynamo === endpoints.dynamoLocal ? 'DynamoDB Local' : 'dynalite',
      endpoint: endpoints.dynamo,
    },
    ...(endpoints.dynamoLocal && endpoints.dynamoLocal !== endpoints.dynamo
      ? [{ name: 'DynamoDB Local', endpoint: endpoints.dynamoLocal }]
      : []),
  ];
};

/** A resource name no other test (file) uses: lowercase, digits and dashes, valid for tables, queues, buckets. */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 12)}`.toLowerCase();
