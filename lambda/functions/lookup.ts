import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../adapters/dynamodb-insight-store.js';
import type { HttpHandler } from '../adapters/http.js';
import { SETTINGS } from '../manifest/settings.js';
import { createLookupHandler } from '../routes/lookup.js';
import type { AwsClientSettings, FunctionConfig, FunctionRuntime } from './runtime.js';

/**
 * The pagination-token signing secret: given directly (local mode, tests) or read once from Secrets Manager
 * (AWS), on first use so a cold start that serves no paged lookup never pays for it.
 */
export function tokenSecretLoader(
  config: Pick<FunctionConfig<'lookup'>, 'tokenSecret' | 'tokenSecretArn'>,
  aws: AwsClientSettings,
): () => Promise<string> {
  const { tokenSecret, tokenSecretArn } = config;
  if (tokenSecret === undefined && tokenSecretArn === undefined) {
    throw new Error(
      `OpenTrail configuration is invalid: set ${SETTINGS.tokenSecret.variable} or ${SETTINGS.tokenSecretArn.variable}`,
    );
  }
  let pending: Promise<string> | undefined;
  const read = async (): Promise<string> => {
    if (tokenSecret !== undefined) return tokenSecret;
    const output = await new SecretsManagerClient(aws).send(
      new GetSecretValueCommand({ SecretId: tokenSecretArn }),
    );
    if (!output.SecretString) throw new Error(`secret ${tokenSecretArn} has no string value`);
    return output.SecretString;
  };
  return () => {
    pending ??= read().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** The lookup function: GET /events, GET /events/{eventId}, CloudTrail's LookupEvents (POST /) and the console's reads. */
export function buildLookup(config: FunctionConfig<'lookup'>, runtime: FunctionRuntime): HttpHandler {
  const client = new DynamoDBClient(runtime.aws);
  const reader = new DynamoDbEventStore(client, config.tableName);
  return createLookupHandler({
    config,
    reader,
    counters: new DynamoDbInsightStore(client, config.tableName, reader, runtime.logger),
    tokenSecret: tokenSecretLoader(config, runtime.aws),
    logger: runtime.logger,
    ...(runtime.now === undefined ? {} : { now: runtime.now }),
  });
}
