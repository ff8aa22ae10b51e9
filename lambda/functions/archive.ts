import { FirehoseClient } from '@aws-sdk/client-firehose';
import { FirehoseArchiveSink } from '../adapters/firehose-archive-sink.js';
import { type StreamHandler, streamHandler } from '../adapters/stream.js';
import { archiveBatch } from '../core/pipeline.js';
import { clientSettingsFor, type FunctionConfig, type FunctionRuntime } from './runtime.js';

/** Stream consumer: new events -> Firehose -> S3 (docs/pipeline.md). */
export function buildArchive(config: FunctionConfig<'archive'>, runtime: FunctionRuntime): StreamHandler {
  const sink = new FirehoseArchiveSink(
    new FirehoseClient(clientSettingsFor(runtime.aws, 'firehose')),
    config.deliveryStreamName,
  );
  const now = runtime.now ?? Date.now;
  return streamHandler('archive', (records) => archiveBatch(records, sink, now()), runtime.logger);
}
