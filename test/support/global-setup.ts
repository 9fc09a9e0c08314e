import type { TestProject } from 'vitest/node';
import { type DynamoFlavour, type Emulators, startEmulators } from '#local/emulators.ts';

const flavours: readonly DynamoFlavour[] = ['dynalite', 'dynamodb-local', 'both'];

// Starts the emulators once per `vitest run` and shares their endpoints with every test file through
// `inject('emulators')`. DynamoDB Local (when java exists) starts lazily, on its endpoint's first connection, so
// runs that do not use it pay nothing: files that do call `waitForDynamo(endpoint)` in beforeAll (see
// `dynamoTargets()`). LOCAL_DYNAMO=dynalite leaves it out entirely.
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const requested = process.env.LOCAL_DYNAMO as DynamoFlavour | undefined;
  const dynamo = requested && flavours.includes(requested) ? requested : 'both';
  const emulators: Emulators = await startEmulators({ dynamo, quiet: true, lazyDynamoLocal: true });
  project.provide('emulators', emulators.endpoints);
  return () => emulators.stop();
}
