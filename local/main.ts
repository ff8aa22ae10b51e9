import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { readIngestSettings } from '../lambda/adapters/ingest-policy-config.js';
import { PROJECT_ROOT } from './emulator.js';
import { type LocalCredentials, type LocalHandle, startLocal } from './runner.js';

/**
 * `npm start`: runs local mode until SIGINT/SIGTERM. stdout carries exactly one line, the ready line, so
 * scripts can wait for it; everything else goes to stderr.
 */

const CONFIG_FILE = join(PROJECT_ROOT, '.opentrail', 'local.json');

// The functions log JSON to stdout, as Lambda wants; here that would bury the ready line, so from now on
// stdout writes go to stderr and only the ready line uses the real stdout.
const writeReadyLine = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);
const STOP_TIMEOUT_MS = 15_000;

const logToStderr = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const parsePort = (value: string): number => {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`OPENTRAIL_PORT must be a port number (0-65535), not '${value}'`);
  }
  return port;
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
  };
  await mkdir(join(PROJECT_ROOT, '.opentrail'), { recursive: true });
  await writeFile(CONFIG_FILE, `${JSON.stringify(config, null, 2)}\n`);
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
  local = await startLocal({
    port: parsePort(process.env.OPENTRAIL_PORT ?? '3000'),
    region: process.env.AWS_REGION ?? process.env.OPENTRAIL_REGION ?? 'us-east-1',
    // OPENTRAIL_SELECTORS and OPENTRAIL_REDACTION, parsed and checked by the function the ingest function runs at
    // cold start: a bad value stops `npm start` before anything runs, with every problem named.
    ...readIngestSettings(process.env),
    log: logToStderr,
  });
  await writeConfig(local);
  writeReadyLine(
    `OpenTrail local API ready at ${local.apiUrl} (config: ${relative(process.cwd(), CONFIG_FILE)})\n`,
  );
};

main().catch((error: unknown) => {
  logToStderr(
    `Local mode failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
