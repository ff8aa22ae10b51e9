import { Metrics } from '@aws-lambda-powertools/metrics';
import { SERVICE_NAME } from '../manifest/functions.js';

/** The CloudWatch namespace of the functions' metrics (the dashboard and the integrity alarms read it). */
export const METRICS_NAMESPACE = 'OpenTrail';

export interface FunctionMetricsOptions {
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
 * Powertools Metrics for an OpenTrail function (ingest, the digester): embedded metric format documents on stdout,
 * which CloudWatch Logs turns into metrics without an API call. Silent when POWERTOOLS_METRICS_DISABLED is true (the
 * unit tests set it).
 */
export function createFunctionMetrics(options: FunctionMetricsOptions = {}): Metrics {
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
