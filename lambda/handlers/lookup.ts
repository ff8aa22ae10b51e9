import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig } from '../adapters/config.js';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { tokenSecretLoader } from '../adapters/token-secret.js';
import { createLookupHandler } from '../routes/lookup.js';

// The Lambda entry point: configuration and clients once per container, the route does the work.
const config = readConfig();
export const handler = createLookupHandler({
  config,
  reader: new DynamoDbEventStore(new DynamoDBClient({ region: config.region }), config.tableName),
  tokenSecret: tokenSecretLoader(),
});
