import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogSink } from '../adapters/cloudwatch-log-sink.js';
import { requiredSetting } from '../adapters/config.js';
import { streamHandler } from '../adapters/stream.js';
import { TRAIL_ENV } from '../core/environment.js';
import { forwardBatch } from '../core/pipeline.js';

// Stream consumer: new events -> one JSON line each in the CloudWatch Logs group (docs/pipeline.md).
const sink = new CloudWatchLogSink(new CloudWatchLogsClient({}), requiredSetting(TRAIL_ENV.logGroupName));
export const handler = streamHandler('log-forward', (records) => forwardBatch(records, sink, Date.now()));
