import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PutEventsResult } from '../core/ingest.js';

/**
 * Ingest's result with the failures as the client was told them, so PutAuditEvents counts CloudTrail Data's
 * codes, refusals before ingest included.
 */
export type IngestOutcome = Omit<PutEventsResult, 'failed'> & {
  readonly failed: ReadonlyArray<{ readonly errorCode: string }>;
};

/**
 * EventsFiltered (by Service) and EventsRejected (by Service and ErrorCode) for one put request; nothing for a count
 * of zero. Each is published at once: a document's metrics share its dimensions, so each ErrorCode needs its own.
 */
export function publishIngestMetrics(result: IngestOutcome, metrics: Metrics): void {
  if (result.filtered.length > 0) {
    metrics.addMetric('EventsFiltered', MetricUnit.Count, result.filtered.length);
    metrics.publishStoredMetrics();
  }
  const byCode = new Map<string, number>();
  for (const { errorCode } of result.failed) byCode.set(errorCode, (byCode.get(errorCode) ?? 0) + 1);
  for (const [errorCode, count] of byCode) {
    metrics.addDimension('ErrorCode', errorCode);
    metrics.addMetric('EventsRejected', MetricUnit.Count, count);
    metrics.publishStoredMetrics();
  }
}
