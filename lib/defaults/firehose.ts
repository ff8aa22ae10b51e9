import { Duration, Size } from 'aws-cdk-lib';
import { Compression, type S3BucketProps } from 'aws-cdk-lib/aws-kinesisfirehose';

/** Where Firehose writes in the archive bucket (docs/pipeline.md, "Archive format"). */
export const ARCHIVE_PREFIXES = {
  /** Delivered events, by arrival hour (UTC). The Glue table reads this prefix. */
  events: 'events/',
  /** Records Firehose could not deliver, by error type and day. */
  errors: 'errors/',
} as const;

/** Firehose's buffering defaults for the archive: deliver at least once a minute (DESIGN.md section 6). */
export const ARCHIVE_BUFFERING_DEFAULTS = {
  interval: Duration.seconds(60),
  size: Size.mebibytes(64),
} as const;

/**
 * The S3 destination settings of the archive stream: gzip, hour partitions under `events/`, failures under
 * `errors/<error type>/`, buffered for at most 60 s or 64 MiB.
 */
export function defaultArchiveDestinationProps(): S3BucketProps {
  return {
    compression: Compression.GZIP,
    dataOutputPrefix: `${ARCHIVE_PREFIXES.events}!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/`,
    errorOutputPrefix: `${ARCHIVE_PREFIXES.errors}!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`,
    bufferingInterval: ARCHIVE_BUFFERING_DEFAULTS.interval,
    bufferingSize: ARCHIVE_BUFFERING_DEFAULTS.size,
  };
}
