// The DynamoDB document client of a small function (events, tracker): built once per cold start, with
// request timeouts, undefined attributes dropped.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A document client with a 5 s request timeout. */
export const documentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(
    new DynamoDBClient({ requestHandler: { requestTimeout: 5_000, connectionTimeout: 3_000 } }),
    { marshallOptions: { removeUndefinedValues: true } },
  );
