import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { publishDigesterMetrics } from '../adapters/digester-metrics.js';
import { DynamoDbLedger } from '../adapters/dynamodb-ledger.js';
import { createFunctionMetrics } from '../adapters/function-metrics.js';
import { KmsDigestSigner } from '../adapters/kms-digest-signer.js';
import { S3ArchiveReader } from '../adapters/s3-archive-reader.js';
import { S3DigestWriter } from '../adapters/s3-digest-writer.js';
import { SqsDeliveryQueue } from '../adapters/sqs-delivery-queue.js';
import { parseTrailArn } from '../core/integrity/digest-file.js';
import { type DigesterConfig, type DigesterRunSummary, runDigester } from '../core/integrity/digester.js';
import { configurationError, SETTINGS } from '../manifest/settings.js';
import { clientSettingsFor, type FunctionConfig, type FunctionRuntime } from './runtime.js';

export type DigesterHandler = (event: unknown, context: Context) => Promise<DigesterRunSummary>;

/** Time kept back from the invocation's deadline for the handler's own logging and metrics. */
const DEADLINE_MARGIN_MS = 5_000;

/** A setting the digester needs that the manifest leaves optional (the lookup function reads it too). */
function required<T>(value: T | undefined, setting: keyof typeof SETTINGS): T {
  if (value === undefined || value === '') {
    throw configurationError([`${SETTINGS[setting].variable} is not set`]);
  }
  return value;
}

/** The digester's configuration: the trail from its ARN (account, home region, name), as the CLI reads it. */
export function digesterConfig(config: FunctionConfig<'digester'>): DigesterConfig {
  return {
    trail: parseTrailArn(required(config.trailArn, 'trailArn')),
    writer: { bucket: config.archiveBucketName, principalPrefix: config.archiveWriterPrincipal },
    digestBucket: required(config.digestBucketName, 'digestBucketName'),
    digestKeyPrefix: config.digestKeyPrefix,
    intervalSeconds: config.digestIntervalSeconds,
  };
}

/** Scheduled every digest interval: records the archive's deliveries and writes the period's signed digest. */
export function buildDigester(config: FunctionConfig<'digester'>, runtime: FunctionRuntime): DigesterHandler {
  const { logger } = runtime;
  const settings = digesterConfig(config);
  const s3 = new S3Client({
    ...runtime.aws,
    ...(runtime.aws.endpoint === undefined ? {} : { forcePathStyle: true }),
  });
  const ports = {
    ledger: new DynamoDbLedger(
      new DynamoDBClient(clientSettingsFor(runtime.aws, 'dynamodb')),
      required(config.ledgerTableName, 'ledgerTableName'),
    ),
    deliveries: new SqsDeliveryQueue(new SQSClient(runtime.aws), config.deliveryQueueUrl),
    archive: new S3ArchiveReader(s3),
    signer: new KmsDigestSigner(new KMSClient(runtime.aws), config.signingKeyId),
    digests: new S3DigestWriter(s3),
  };
  const metrics = createFunctionMetrics(
    runtime.metricsOutput === undefined ? {} : { output: runtime.metricsOutput },
  );
  const now = runtime.now ?? Date.now;
  return async (_event, context) => {
    logger.addContext(context);
    const summary = await runDigester(ports, settings, {
      now,
      deadlineMs: now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS,
    });
    for (const object of summary.foreign) logger.warn('foreign archive object: not digested', { ...object });
    for (const object of summary.refused) logger.error('archive object refused: not digested', { ...object });
    publishDigesterMetrics(summary, metrics);
    const { foreign, refused, ...counts } = summary;
    logger.info('digester run', { ...counts, foreign: foreign.length, refused: refused.length });
    return summary;
  };
}
