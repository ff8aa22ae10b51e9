import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { Presets, SingleBar } from 'cli-progress';
import { s3ObjectStore } from '../clients/typescript/src/validate/s3-store.js';
import { DynamoDbEventStore } from '../lambda/adapters/dynamodb-event-store.js';
import { RebuildOptionsError, type RebuildSummary, rebuildFromArchive } from '../lambda/core/rebuild.js';
import { readSettings, TRAIL_ENV } from '../lambda/manifest/settings.js';
import { readLocalConfig } from '../local/live-config.js';

/**
 * npm run rebuild -- --bucket <archive bucket> --table <events table> [--from YYYY-MM-DDTHH] [--to YYYY-MM-DDTHH]
 *   [--retention-days N] [--concurrency N] [--region R] [--endpoint-url URL] [--config FILE]
 * Puts the archive's events back into the events table (docs/storage.md, "Point-in-time recovery and rebuilding
 * from the archive"); running it again changes nothing. Against AWS, pass the stack's ArchiveBucketName and the
 * table's name, with credentials and region as usual. Without --bucket and --endpoint-url, a running local mode's
 * .opentrail/local.json gives the bucket, the emulator and its credentials.
 */
const USAGE =
  'usage: npm run rebuild -- --bucket <archive bucket> --table <events table> [--from YYYY-MM-DDTHH] ' +
  '[--to YYYY-MM-DDTHH] [--retention-days N] [--concurrency N] [--region R] [--endpoint-url URL] [--config FILE]';

/** The DynamoDB store's write budget for a batch: a rebuild can wait out throttling longer than a put can. */
const WRITE_BUDGET_MS = 60_000;

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

const values = (() => {
  try {
    return parseArgs({
      options: {
        bucket: { type: 'string' },
        table: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'retention-days': { type: 'string' },
        concurrency: { type: 'string' },
        region: { type: 'string' },
        'endpoint-url': { type: 'string' },
        config: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (error) {
    return fail((error as Error).message);
  }
})();

// Local mode's file, only when the command names no AWS target of its own.
const local =
  values['endpoint-url'] === undefined && values.region === undefined
    ? await readLocalConfig(values.config)
    : undefined;
const bucket = values.bucket ?? local?.bucketName;
const table = values.table;
if (bucket === undefined) fail('--bucket is required (the archive bucket: the ArchiveBucketName output)');
if (table === undefined) fail('--table is required (the events table; local mode: opentrail-events)');

// The trail's own setting and rule: OPENTRAIL_RETENTION_DAYS, 1 to 3650, 90 by default.
const settings = (() => {
  try {
    return readSettings(['retentionDays'], {
      [TRAIL_ENV.retentionDays]: values['retention-days'] ?? process.env[TRAIL_ENV.retentionDays],
    });
  } catch (error) {
    return fail((error as Error).message);
  }
})();
const concurrency = Number(values.concurrency ?? 4);
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
  fail(`--concurrency must be a whole number from 1 to 32 (got ${values.concurrency})`);
}

const endpoint = values['endpoint-url'] ?? local?.s3Endpoint ?? local?.awsEndpoint;
const clientConfig = {
  ...((values.region ?? local?.region) ? { region: values.region ?? local?.region } : {}),
  ...(local?.credentials === undefined ? {} : { credentials: local.credentials }),
};
// An emulator serves buckets by path; AWS by host name.
const s3 = new S3Client({
  ...clientConfig,
  ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }),
});
const dynamodbEndpoint = values['endpoint-url'] ?? local?.serviceEndpoints?.dynamodb ?? local?.awsEndpoint;
const dynamodb = new DynamoDBClient({
  ...clientConfig,
  ...(dynamodbEndpoint === undefined ? {} : { endpoint: dynamodbEndpoint }),
});

const bar = process.stdout.isTTY
  ? new SingleBar(
      {
        format:
          'rebuilding {bar} {value}/{total} objects | {restored} restored, {expired} expired, {invalid} invalid, {failed} failed',
      },
      Presets.shades_classic,
    )
  : undefined;
const counts = (summary: RebuildSummary) => ({
  restored: summary.eventsRestored,
  expired: summary.eventsExpired,
  invalid: summary.linesInvalid,
  failed: summary.eventsFailed + summary.objectsFailed,
});
bar?.start(0, 0, { restored: 0, expired: 0, invalid: 0, failed: 0 });

let summary: RebuildSummary;
try {
  summary = await rebuildFromArchive(
    s3ObjectStore(s3),
    new DynamoDbEventStore(dynamodb, table, { writeBudgetMs: WRITE_BUDGET_MS }),
    {
      bucket,
      retentionDays: settings.retentionDays,
      nowMs: Date.now(),
      concurrency,
      ...(values.from === undefined ? {} : { fromHour: values.from }),
      ...(values.to === undefined ? {} : { toHour: values.to }),
      onProgress: (progress) => {
        bar?.setTotal(progress.objectsListed);
        bar?.update(progress.objectsRead + progress.objectsFailed, counts(progress));
      },
    },
  );
} catch (error) {
  bar?.stop();
  if (error instanceof RebuildOptionsError) fail(error.message);
  console.error(`rebuild stopped: ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
} finally {
  s3.destroy();
  dynamodb.destroy();
}
bar?.stop();

const { problems, ...totals } = summary;
console.log(
  [
    `rebuilt ${table} from s3://${bucket}/${values.from || values.to ? ` (hours ${values.from ?? 'oldest'} to ${values.to ?? 'newest'})` : ''}`,
    `  objects read ${totals.objectsRead} of ${totals.objectsListed}, failed ${totals.objectsFailed}`,
    `  events restored ${totals.eventsRestored}, skipped past retention ${totals.eventsExpired}, repeated ${totals.eventsDuplicate}, failed ${totals.eventsFailed}`,
    `  lines that are not OpenTrail records ${totals.linesInvalid}`,
    ...problems.map(
      ({ key, line, eventID, reason }) =>
        `  - ${key}${line === undefined ? '' : `:${line}`}${eventID === undefined ? '' : ` ${eventID}`}: ${reason}`,
    ),
  ].join('\n'),
);
// Invalid lines are reported, not fatal; an event or object not restored is: run the rebuild again.
process.exitCode = totals.eventsFailed > 0 || totals.objectsFailed > 0 ? 1 : 0;
