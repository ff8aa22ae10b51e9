import { Duration, Size } from 'aws-cdk-lib';
import { Compression, type S3BucketProps } from 'aws-cdk-lib/aws-kinesisfirehose';
import {
  ARCHIVE_BUFFERING,
  ARCHIVE_ERROR_OUTPUT_PREFIX,
  ARCHIVE_PREFIX,
} from '../../lambda/core/archive-layout.js';

/** Where Firehose writes in the archive bucket (docs/pipeline.md, "Archive format"). */
export { ARCHIVE_PREFIXES } from '../../lambda/core/archive-layout.js';

/** Firehose's buffering defaults for the archive: deliver at least once a minute (DESIGN.md section 6). */
export const ARCHIVE_BUFFERING_DEFAULTS = {
  interval: Duration.seconds(ARCHIVE_BUFFERING.intervalSeconds),
  size: Size.mebibytes(ARCHIVE_BUFFERING.sizeMiB),
} as const;

/**
 * The S3 destination settings of the archive stream: gzip, hour partitions under `events/`, failures under
 * `errors/<error type>/`, buffered for at most 60 s or 64 MiB.
 */
export function defaultArchiveDestinationProps(): S3BucketProps {
  return {
    compression: Compression.GZIP,
    dataOutputPrefix: ARCHIVE_PREFIX,
    errorOutputPrefix: ARCHIVE_ERROR_OUTPUT_PREFIX,
    bufferingInterval: ARCHIVE_BUFFERING_DEFAULTS.interval,
    bufferingSize: ARCHIVE_BUFFERING_DEFAULTS.size,
  };
}
