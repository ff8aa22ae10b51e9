import { randomUUID } from 'node:crypto';
import {
  type CloudWatchLogsClient,
  CreateLogStreamCommand,
  PutLogEventsCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import { type BackoffPolicy, backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.js';
import type { LogLine, LogSink } from '../core/pipeline.js';
import { logger as functionLogger, type Logger } from './logger.js';
import { isRetryable } from './retryable.js';

/**
 * Writes event lines to the CloudWatch Logs group, into a log stream of this container's own (created on first
 * use), so concurrent consumers never contend for one stream. Throttling is retried with backoff.
 */
export class CloudWatchLogSink implements LogSink {
  private streamReady: Promise<void> | undefined;
  private readonly logStreamName: string;

  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly logGroupName: string,
    private readonly backoff: BackoffPolicy = DEFAULT_BACKOFF,
    now = new Date(),
    private readonly logger: Logger = functionLogger,
  ) {
    this.logStreamName = `${now.toISOString().slice(0, 10).replaceAll('-', '/')}/${randomUUID()}`;
  }

  async putLogEvents(lines: readonly LogLine[]): Promise<boolean> {
    for (let attempt = 1; attempt <= this.backoff.maxAttempts; attempt++) {
      try {
        await this.ensureStream();
        const output = await this.client.send(
          new PutLogEventsCommand({
            logGroupName: this.logGroupName,
            logStreamName: this.logStreamName,
            logEvents: lines.map(({ timestamp, message }) => ({ timestamp, message })),
          }),
        );
        const rejected = output.rejectedLogEventsInfo;
        if (rejected)
          this.logger.warn('CloudWatch Logs rejected event lines as too old or too new', { ...rejected });
        return true;
      } catch (error) {
        if (!isRetryable(error)) {
          this.logger.error('PutLogEvents failed', error as Error);
          return false;
        }
      }
      if (attempt < this.backoff.maxAttempts) await backoffDelay(this.backoff, attempt);
    }
    return false;
  }

  private ensureStream(): Promise<void> {
    this.streamReady ??= this.client
      .send(
        new CreateLogStreamCommand({ logGroupName: this.logGroupName, logStreamName: this.logStreamName }),
      )
      .then(
        () => undefined,
        (error: unknown) => {
          if (error instanceof ResourceAlreadyExistsException) return;
          this.streamReady = undefined;
          throw error;
        },
      );
    return this.streamReady;
  }
}
