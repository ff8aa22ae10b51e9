import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig } from '../adapters/config.js';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { readIngestPolicy } from '../adapters/ingest-policy-config.js';
import { createIngestHandler } from '../routes/ingest.js';

// The Lambda entry point: configuration and clients once per container, the route does the work.
const config = readConfig();
export const handler = createIngestHandler({
  config,
  writer: new DynamoDbEventStore(new DynamoDBClient({ region: config.region }), config.tableName),
  policy: readIngestPolicy(),
});
