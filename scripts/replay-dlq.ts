import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { SQSClient } from '@aws-sdk/client-sqs';
import { CloudWatchLogSink } from '../lambda/adapters/cloudwatch-log-sink.js';
import { FirehoseArchiveSink } from '../lambda/adapters/firehose-archive-sink.js';
import { replayDeadLetters } from '../lambda/adapters/stream-replay.js';
import { archiveBatch, forwardBatch } from '../lambda/core/pipeline.js';

/**
 * npm run replay -- --consumer archive|log-forward [--queue-url URL] [--delivery-stream NAME] [--log-group NAME]
 * Delivers again what a consumer's dead-letter queue names, once its cause is fixed (docs/pipeline.md).
 * Defaults come from .opentrail/local.json (local mode); against AWS, pass the stack outputs and set
 * AWS_REGION and credentials as usual.
 */
interface LocalConfig {
  readonly archiveDlqUrl?: string;
  readonly logForwardDlqUrl?: string;
  readonly deliveryStreamName?: string;
  readonly logGroupName?: string;
  readonly awsEndpoint?: string;
  /** Local mode's Firehose data plane: the archive's objects come from it, gzip as in AWS, not from moto's. */
  readonly firehoseEndpoint?: string;
  /** The table's stream, where the dead letters' records are read back (MiniStack unless OPENTRAIL_DYNAMODB=moto). */
  readonly serviceEndpoints?: { readonly dynamodbstreams?: string };
  readonly region?: string;
}

function localConfig(path: string): LocalConfig {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalConfig;
  } catch {
    return {};
  }
}

const { values } = parseArgs({
  options: {
    consumer: { type: 'string' },
    'queue-url': { type: 'string' },
    'delivery-stream': { type: 'string' },
    'log-group': { type: 'string' },
    config: { type: 'string', default: '.opentrail/local.json' },
  },
});
const local = localConfig(values.config ?? '.opentrail/local.json');
if (local.awsEndpoint && !process.env.AWS_ENDPOINT_URL) process.env.AWS_ENDPOINT_URL = local.awsEndpoint;
if (local.firehoseEndpoint && !process.env.AWS_ENDPOINT_URL_FIREHOSE) {
  process.env.AWS_ENDPOINT_URL_FIREHOSE = local.firehoseEndpoint;
}
const streamsEndpoint = local.serviceEndpoints?.dynamodbstreams;
if (streamsEndpoint && !process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS) {
  process.env.AWS_ENDPOINT_URL_DYNAMODB_STREAMS = streamsEndpoint;
}
if (local.region && !process.env.AWS_REGION) process.env.AWS_REGION = local.region;

function required(name: string, value: string | undefined): string {
  if (!value) throw new Error(`--${name} is required (no default in ${values.config})`);
  return value;
}

const consumer = values.consumer;
if (consumer !== 'archive' && consumer !== 'log-forward') {
  throw new Error('--consumer must be archive or log-forward');
}
const deliver =
  consumer === 'archive'
    ? (() => {
        const sink = new FirehoseArchiveSink(
          new FirehoseClient({}),
          required('delivery-stream', values['delivery-stream'] ?? local.deliveryStreamName),
        );
        return (records: Parameters<typeof archiveBatch>[0]) => archiveBatch(records, sink, Date.now());
      })()
    : (() => {
        const sink = new CloudWatchLogSink(
          new CloudWatchLogsClient({}),
          required('log-group', values['log-group'] ?? local.logGroupName),
        );
        return (records: Parameters<typeof forwardBatch>[0]) => forwardBatch(records, sink, Date.now());
      })();
const queueUrl = required(
  'queue-url',
  values['queue-url'] ?? (consumer === 'archive' ? local.archiveDlqUrl : local.logForwardDlqUrl),
);
const result = await replayDeadLetters({
  sqs: new SQSClient({}),
  streams: new DynamoDBStreamsClient({}),
  queueUrl,
  deliver,
});
console.log(JSON.stringify(result, null, 2));
process.exitCode = result.kept.length > 0 ? 1 : 0;
