import { FirehoseClient } from '@aws-sdk/client-firehose';
import { requiredSetting } from '../adapters/config.js';
import { FirehoseArchiveSink } from '../adapters/firehose-archive-sink.js';
import { streamHandler } from '../adapters/stream.js';
import { TRAIL_ENV } from '../core/environment.js';
import { archiveBatch } from '../core/pipeline.js';

// Stream consumer: new events -> Firehose -> S3 (docs/pipeline.md). Configuration and client once per container.
const sink = new FirehoseArchiveSink(new FirehoseClient({}), requiredSetting(TRAIL_ENV.deliveryStreamName));
export const handler = streamHandler('archive', (records) => archiveBatch(records, sink, Date.now()));
