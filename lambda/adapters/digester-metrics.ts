import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DigesterRunSummary } from '../core/integrity/digester.js';

/** The digester's EMF metrics, in the trail's namespace with the Service dimension; the Integrity alarms read them. */
export const DIGESTER_METRICS = {
  digestsWritten: 'DigestsWritten',
  objectsDigested: 'ObjectsDigested',
  foreignObjects: 'ForeignArchiveObjects',
  refusedObjects: 'RefusedArchiveObjects',
} as const;

/** One EMF document per run, every metric in it (zero included, so an alarm sees the run). */
export function publishDigesterMetrics(summary: DigesterRunSummary, metrics: Metrics): void {
  metrics.addMetric(DIGESTER_METRICS.digestsWritten, MetricUnit.Count, summary.digest === undefined ? 0 : 1);
  metrics.addMetric(DIGESTER_METRICS.objectsDigested, MetricUnit.Count, summary.digest?.objectCount ?? 0);
  metrics.addMetric(
    DIGESTER_METRICS.foreignObjects,
    MetricUnit.Count,
    summary.foreign.length + summary.malformed,
  );
  metrics.addMetric(DIGESTER_METRICS.refusedObjects, MetricUnit.Count, summary.refused.length);
  metrics.publishStoredMetrics();
}
