import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { cloudTrailTime, digestKey, parseTrailArn } from '../lambda/core/integrity/digest-file.js';
import type { RedactionRules } from '../lambda/core/redaction.js';
import type { TrailSelectors } from '../lambda/core/selectors.js';
import { ingestPolicy } from '../lambda/functions/ingest.js';
import { readSettings } from '../lambda/manifest/settings.js';
import { PROJECT_ROOT } from './emulator.js';
import { dynamodbEmulatorOf, type LocalCredentials, type LocalHandle, startLocal } from './runner.js';

/**
 * `npm start`: runs local mode until SIGINT/SIGTERM. stdout carries exactly one line, the ready line, so
 * scripts can wait for it; everything else (the functions' JSON log lines included) goes to stderr.
 */

const CONFIG_FILE = join(PROJECT_ROOT, '.opentrail', 'local.json');

const STOP_TIMEOUT_MS = 15_000;

const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const wholeNumber = (name: string, value: string, min: number, max: number): number => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}, not '${value}'`);
  }
  return number;
};

/** Local mode's settings from the environment: the trail's through the functions' own schema and messages. */
const optionsFromEnvironment = (env: NodeJS.ProcessEnv) => {
  const trail = readSettings(
    [
      'selectors',
      'redaction',
      'provenance',
      'logLine',
      'insightsBaselineMinutes',
      'trailName',
      'digestKeyPrefix',
      'digestIntervalSeconds',
    ],
    env,
  );
  // Checked by the function the ingest function runs at its cold start, before anything starts.
  ingestPolicy(trail.selectors, trail.redaction);
  const interval = env.OPENTRAIL_INSIGHTS_INTERVAL_SECONDS;
  const archiveBuffer = env.OPENTRAIL_ARCHIVE_BUFFER_SECONDS;
  return {
    port: wholeNumber('OPENTRAIL_PORT', env.OPENTRAIL_PORT ?? '3000', 0, 65_535),
    region: env.AWS_REGION ?? env.OPENTRAIL_REGION ?? 'us-east-1',
    dynamodb: dynamodbEmulatorOf(env.OPENTRAIL_DYNAMODB),
    ...(trail.selectors === undefined ? {} : { selectors: trail.selectors as TrailSelectors }),
    ...(trail.redaction === undefined ? {} : { redaction: trail.redaction as RedactionRules }),
    provenance: trail.provenance,
    logLine: trail.logLine,
    insights: {
      baselineMinutes: trail.insightsBaselineMinutes,
      ...(interval === undefined
        ? {}
        : { intervalSeconds: wholeNumber('OPENTRAIL_INSIGHTS_INTERVAL_SECONDS', interval, 1, 86_400) }),
    },
    // Firehose's own range for the buffering interval.
    ...(archiveBuffer === undefined
      ? {}
      : { archiveBufferSeconds: wholeNumber('OPENTRAIL_ARCHIVE_BUFFER_SECONDS', archiveBuffer, 0, 900) }),
    integrity: {
      ...(trail.trailName === undefined ? {} : { trailName: trail.trailName }),
      digestKeyPrefix: trail.digestKeyPrefix,
      // OPENTRAIL_DIGEST_INTERVAL_SECONDS: the digester's schedule and its setting.
      digestIntervalSeconds: trail.digestIntervalSeconds,
    },
  };
};

const credentialPair = ({ accessKeyId, secretAccessKey }: LocalCredentials) => ({
  accessKeyId,
  secretAccessKey,
});

const writeConfig = async (local: LocalHandle): Promise<void> => {
  const config = {
    apiUrl: local.apiUrl,
    region: local.region,
    awsEndpoint: local.awsEndpoint,
    // The services with an endpoint of their own: the tables and their stream (MiniStack unless
    // OPENTRAIL_DYNAMODB=moto), and local mode's Firehose.
    serviceEndpoints: local.aws.serviceEndpoints,
    // Every route; producerCredentials may only put, readerCredentials may only look up.
    credentials: credentialPair(local.credentials),
    producerCredentials: credentialPair(local.producerCredentials),
    readerCredentials: credentialPair(local.readerCredentials),
    bucketName: local.pipeline.bucketName,
    deliveryStreamName: local.pipeline.deliveryStreamName,
    logGroupName: local.pipeline.logGroupName,
    archiveDlqUrl: local.pipeline.archiveDlqUrl,
    logForwardDlqUrl: local.pipeline.logForwardDlqUrl,
    eventBusName: local.eventBusName,
    accountId: local.accountId,
    channelArn: local.channelArn,
    // Tamper evidence (docs/integrity.md): `aws cloudtrail validate-logs --trail-arn` with AWS_ENDPOINT_URL_S3.
    trailName: local.integrity.trailName,
    trailArn: local.integrity.trailArn,
    s3Endpoint: local.s3Endpoint,
    // The archive's Firehose data plane (npm run replay puts there): local mode's, not moto's.
    firehoseEndpoint: local.firehose.url,
    digestBucketName: local.integrity.digestBucketName,
    digestKeyPrefix: local.integrity.digestKeyPrefix,
    digestIntervalSeconds: local.integrity.digestIntervalSeconds,
    ledgerTableName: local.integrity.ledgerTableName,
    deliveryQueueUrl: local.integrity.deliveryQueueUrl,
    signingKeyArn: local.integrity.signingKeyArn,
  };
  await mkdir(join(PROJECT_ROOT, '.opentrail'), { recursive: true });
  await writeFile(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
};

/** Where the digests go: the folder of the digester's own keys (digestKey), and how to check them. */
const describeDigests = ({ integrity, s3Endpoint }: LocalHandle): string => {
  const firstKey = digestKey(
    parseTrailArn(integrity.trailArn),
    integrity.digestKeyPrefix,
    cloudTrailTime(Date.now()),
  );
  // The key ends in YYYY/MM/DD/<file>; what comes before is where every digest of the trail goes.
  const folder = firstKey.split('/').slice(0, -4).join('/');
  return [
    `OpenTrail digests every ${integrity.digestIntervalSeconds} s to s3://${integrity.digestBucketName}/${folder}/`,
    `  (trail ${integrity.trailArn}, S3 endpoint ${s3Endpoint}, path-style)`,
  ].join('\n');
};

/** Installed before anything starts, so a signal during start-up cannot leave the emulator behind. */
const stopOnSignals = (running: () => LocalHandle | undefined): void => {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    // Wrappers (npm, tsx, timeout) forward the signal the process group already got: repeats are ignored,
    // and the force-exit timer bounds the stop.
    if (stopping) return;
    stopping = true;
    // During start-up there is nothing to stop gracefully: the emulator's exit hook kills it.
    const local = running();
    if (local === undefined) process.exit(0);
    logToStderr(`${signal} received, stopping local mode`);
    const forceExit = setTimeout(() => {
      logToStderr(`Local mode did not stop within ${STOP_TIMEOUT_MS} ms; exiting`);
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    local.stop().then(
      () => {
        clearTimeout(forceExit);
        logToStderr('Local mode stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logToStderr(`Stopping local mode failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
};

const main = async (): Promise<void> => {
  let local: LocalHandle | undefined;
  stopOnSignals(() => local);
  // A bad setting stops `npm start` before anything runs, with every problem named.
  local = await startLocal({ ...optionsFromEnvironment(process.env), log: logToStderr });
  await writeConfig(local);
  process.stdout.write(
    `OpenTrail local API ready at ${local.apiUrl} (config: ${relative(process.cwd(), CONFIG_FILE)})\n`,
  );
  // stderr: stdout keeps its one ready line.
  if (local.consoleUrl !== undefined) logToStderr(`OpenTrail console at ${local.consoleUrl}`);
  logToStderr(describeDigests(local));
};

main().catch((error: unknown) => {
  logToStderr(
    `Local mode failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
