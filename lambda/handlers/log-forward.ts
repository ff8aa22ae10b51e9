import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogSink } from '../adapters/cloudwatch-log-sink.js';
import { requiredSetting } from '../adapters/config.js';
import { streamHandler } from '../adapters/stream.js';
import { TRAIL_ENV } from '../core/environment.js';
import { forwardBatch, LOG_LINE_FORMATS, type LogLineFormat } from '../core/pipeline.js';

// Stream consumer: new events -> one JSON line each in the CloudWatch Logs group (docs/pipeline.md).
const sink = new CloudWatchLogSink(new CloudWatchLogsClient({}), requiredSetting(TRAIL_ENV.logGroupName));
const format = (process.env[TRAIL_ENV.logLine] || 'full') as LogLineFormat;
if (!LOG_LINE_FORMATS.includes(format)) {
  throw new Error(
    `OpenTrail configuration is invalid: ${TRAIL_ENV.logLine} must be one of ${LOG_LINE_FORMATS.join(', ')}`,
  );
}
export const handler = streamHandler('log-forward', (records) =>
  forwardBatch(records, sink, Date.now(), format),
);
