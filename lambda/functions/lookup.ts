import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDbEventStore } from '../adapters/dynamodb-event-store.js';
import { DynamoDbInsightStore } from '../adapters/dynamodb-insight-store.js';
import { DynamoDbIntegrityReader } from '../adapters/dynamodb-integrity-reader.js';
import type { HttpHandler } from '../adapters/http.js';
import { DEFAULT_TRAIL_NAME } from '../core/cloudtrail/trail-arn.js';
import { INSIGHT_TYPES } from '../core/insights/counters.js';
import { selectorProblems, type TrailSelectors } from '../core/selectors.js';
import { configurationError, SETTINGS, settingProblems } from '../manifest/settings.js';
import { createLookupHandler, type TrailSettings } from '../routes/lookup.js';
import {
  type AwsClientSettings,
  clientSettingsFor,
  type FunctionConfig,
  type FunctionRuntime,
} from './runtime.js';

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
    throw configurationError([`set ${SETTINGS.tokenSecret.variable} or ${SETTINGS.tokenSecretArn.variable}`]);
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

/**
 * The trail CloudTrail's control-plane reads describe (docs/cloudtrail-compat.md): its selectors and insights as
 * deployed, and integrity on when the ledger and the digest bucket are set. The selectors are checked by the rules
 * the ingest function applies, so the two functions never disagree on which selectors the trail has.
 */
export function controlPlaneTrail(config: FunctionConfig<'lookup'>): TrailSettings {
  const { trailArn, digestBucketName, ledgerTableName, selectors } = config;
  const problems = settingProblems('selectors', selectorProblems(selectors));
  if (problems.length > 0) throw configurationError(problems);
  return {
    name: config.trailName ?? DEFAULT_TRAIL_NAME,
    ...(trailArn === undefined ? {} : { arn: trailArn }),
    homeRegion: config.region,
    ...(selectors === undefined ? {} : { selectors: selectors as TrailSelectors }),
    insightTypes: config.insights === 'on' ? INSIGHT_TYPES : [],
    ...(digestBucketName === undefined || ledgerTableName === undefined
      ? {}
      : { digests: { bucketName: digestBucketName, keyPrefix: config.digestKeyPrefix } }),
  };
}

/**
 * The lookup function: GET /events, GET /events/{eventId}, CloudTrail's LookupEvents and the trail's reads (POST /)
 * and the console's reads.
 */
export function buildLookup(config: FunctionConfig<'lookup'>, runtime: FunctionRuntime): HttpHandler {
  const client = new DynamoDBClient(clientSettingsFor(runtime.aws, 'dynamodb'));
  const reader = new DynamoDbEventStore(client, config.tableName);
  const trail = controlPlaneTrail(config);
  return createLookupHandler({
    config,
    reader,
    counters: new DynamoDbInsightStore(client, config.tableName, reader, runtime.logger),
    tokenSecret: tokenSecretLoader(config, runtime.aws),
    trail,
    ...(trail.digests === undefined || config.ledgerTableName === undefined
      ? {}
      : { ledger: new DynamoDbIntegrityReader(client, config.ledgerTableName) }),
    logger: runtime.logger,
    ...(runtime.now === undefined ? {} : { now: runtime.now }),
  });
}
