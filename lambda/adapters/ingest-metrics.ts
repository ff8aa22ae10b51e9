import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PutEventsResult } from '../core/ingest.js';
import { SERVICE_NAME } from '../manifest/functions.js';

/** The CloudWatch namespace of ingest's metrics (the dashboard reads it). */
export const METRICS_NAMESPACE = 'OpenTrail';

export interface IngestMetricsOptions {
  /** Where each EMF document goes. @default stdout, where CloudWatch Logs reads it in Lambda */
  readonly output?: (line: string) => void;
}

/** Metrics that hand each EMF document to an output instead of stdout: local mode runs several functions in one process. */
class OutputMetrics extends Metrics {
  constructor(
    options: ConstructorParameters<typeof Metrics>[0],
    private readonly output: (line: string) => void,
  ) {
    super(options);
  }

  override publishStoredMetrics(): this {
    try {
      if (!this.isDisabled() && this.hasStoredMetrics()) this.output(JSON.stringify(this.serializeMetrics()));
    } finally {
      this.clearMetrics();
      this.clearDimensions();
      this.clearMetadata();
    }
    return this;
  }
}

/**
 * Powertools Metrics for ingest: embedded metric format documents on stdout, which CloudWatch Logs turns into
 * metrics without an API call. Silent when POWERTOOLS_METRICS_DISABLED is true (the unit tests set it).
 */
export function createIngestMetrics(options: IngestMetricsOptions = {}): Metrics {
  const serviceName = SERVICE_NAME;
  const metricsOptions = { namespace: METRICS_NAMESPACE, serviceName };
  const metrics =
    options.output === undefined
      ? new Metrics(metricsOptions)
      : new OutputMetrics(metricsOptions, options.output);
  // Powertools' own default dimension is a lower-case `service`; the dashboard and the metrics already in
  // CloudWatch use `Service`.
  metrics.clearDefaultDimensions();
  metrics.setDefaultDimensions({ Service: serviceName });
  return metrics;
}

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
