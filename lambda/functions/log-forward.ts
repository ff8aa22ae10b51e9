import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudWatchLogSink } from '../adapters/cloudwatch-log-sink.js';
import { type StreamHandler, streamHandler } from '../adapters/stream.js';
import { DEFAULT_BACKOFF } from '../core/backoff.js';
import { forwardBatch } from '../core/pipeline.js';
import type { FunctionConfig, FunctionRuntime } from './runtime.js';

/** Stream consumer: new events -> one JSON line each in the CloudWatch Logs group (docs/pipeline.md). */
export function buildLogForward(
  config: FunctionConfig<'logForward'>,
  runtime: FunctionRuntime,
): StreamHandler {
  const sink = new CloudWatchLogSink(
    new CloudWatchLogsClient(runtime.aws),
    config.logGroupName,
    DEFAULT_BACKOFF,
    new Date(),
    runtime.logger,
  );
  const now = runtime.now ?? Date.now;
  return streamHandler(
    'log-forward',
    (records) => forwardBatch(records, sink, now(), config.logLine),
    runtime.logger,
  );
}
