import type { PutEventsResult } from '../core/ingest.js';

/**
 * Ingest counts as CloudWatch metrics, in the embedded metric format: one JSON document per line on stdout, which
 * CloudWatch Logs turns into metrics without an API call. Written raw (console.log would prefix the line, and EMF
 * needs the JSON alone) and whatever the log level, so a quiet logger never hides a metric. Nothing is written
 * for a count of zero.
 */
export const METRICS_NAMESPACE = 'OpenTrail';

export type MetricsSink = (line: string) => void;

const stdout: MetricsSink = (line) => {
  process.stdout.write(line);
};

const SERVICE = process.env.POWERTOOLS_SERVICE_NAME ?? 'opentrail';

function emfLine(
  name: string,
  value: number,
  dimensions: Readonly<Record<string, string>>,
  timestamp: number,
): string {
  const document = {
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: METRICS_NAMESPACE,
          Dimensions: [Object.keys(dimensions)],
          Metrics: [{ Name: name, Unit: 'Count' }],
        },
      ],
    },
    ...dimensions,
    [name]: value,
  };
  return `${JSON.stringify(document)}\n`;
}

/**
 * Ingest's result with the failures as the client was told them, so PutAuditEvents counts CloudTrail Data's
 * codes, refusals before ingest included.
 */
export type IngestOutcome = Omit<PutEventsResult, 'failed'> & {
  readonly failed: ReadonlyArray<{ readonly errorCode: string }>;
};

/** EventsFiltered (by service) and EventsRejected (by service and errorCode) for one put request. */
export function publishIngestMetrics(
  result: IngestOutcome,
  sink: MetricsSink = stdout,
  now = Date.now(),
): void {
  if (result.filtered.length > 0) {
    sink(emfLine('EventsFiltered', result.filtered.length, { Service: SERVICE }, now));
  }
  if (result.failed.length === 0) return;
  const byCode = new Map<string, number>();
  for (const { errorCode } of result.failed) byCode.set(errorCode, (byCode.get(errorCode) ?? 0) + 1);
  for (const [errorCode, count] of byCode) {
    sink(emfLine('EventsRejected', count, { Service: SERVICE, ErrorCode: errorCode }, now));
  }
}
