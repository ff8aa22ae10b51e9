import {
  type AttributeDefinition,
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { TABLE_LAYOUT } from '../core/table-layout.js';

/** Upper bound for the table to turn ACTIVE; an emulator is instant, real DynamoDB takes seconds. */
const TABLE_ACTIVE_TIMEOUT_SECONDS = 120;

/**
 * Creates the events table from TABLE_LAYOUT, the way local mode and the integration tests need it (in AWS
 * the CDK stack owns the table). Idempotent: an existing table is accepted and only TTL is ensured.
 */
export const createEventsTable = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists(
    { client, maxWaitTime: TABLE_ACTIVE_TIMEOUT_SECONDS, minDelay: 1, maxDelay: 5 },
    { TableName: tableName },
  );
  await enableTimeToLive(client, tableName);
};

const createTableInput = (tableName: string): CreateTableCommandInput => {
  const attributeDefinitions: AttributeDefinition[] = [TABLE_LAYOUT.partitionKey, TABLE_LAYOUT.sortKey].map(
    (name) => ({ AttributeName: name, AttributeType: 'S' }),
  );
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: attributeDefinitions,
    KeySchema: [
      { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
    ],
    StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
  };
};

// UpdateTimeToLive rejects enabling TTL twice, so an existing table is checked first.
const enableTimeToLive = async (client: DynamoDBClient, tableName: string): Promise<void> => {
  const { TimeToLiveDescription } = await client.send(
    new DescribeTimeToLiveCommand({ TableName: tableName }),
  );
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  if (
    (status === 'ENABLED' || status === 'ENABLING') &&
    TimeToLiveDescription?.AttributeName === TABLE_LAYOUT.ttlAttribute
  ) {
    return;
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TABLE_LAYOUT.ttlAttribute, Enabled: true },
    }),
  );
};
