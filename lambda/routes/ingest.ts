import type { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { TrailConfig } from '../adapters/config.js';
import { createFunctionMetrics } from '../adapters/function-metrics.js';
import { bodyText, type HttpHandler, json, type Route } from '../adapters/http.js';
import { publishIngestMetrics } from '../adapters/ingest-metrics.js';
import { logger as sharedLogger } from '../adapters/logger.js';
import { DEFAULT_INGEST_POLICY, type IngestPolicy, parsePutEventsBody, putEvents } from '../core/ingest.js';
import type { EventWriter } from '../core/ports.js';
import { requestIngestOptions } from './ingest-options.js';
import { NATIVE_PROTOCOL, PUT_AUDIT_EVENTS_PROTOCOL } from './protocols.js';
import { createPutAuditEventsRoute } from './put-audit-events.js';
import { createRouter } from './router.js';

export interface IngestDependencies {
  readonly config: TrailConfig;
  readonly writer: EventWriter;
  readonly now?: () => number;
  /** What the trail records and masks (docs/selectors.md). @default CloudTrail's default trail, default redaction */
  readonly policy?: IngestPolicy;
  /** @default the function's shared logger (lambda/adapters/logger.ts) */
  readonly logger?: Logger;
  /** @default the function's metrics, written to stdout (lambda/adapters/function-metrics.ts) */
  readonly metrics?: Metrics;
}

/** POST /events: one event or { events: [...] }; every event is judged on its own. */
function createPutEventsRoute({ config, writer, now, policy, metrics }: Required<IngestDependencies>): Route {
  return async (event, { logger }) => {
    const inputs = parsePutEventsBody(bodyText(event));
    const result = await putEvents(inputs, writer, requestIngestOptions(config, event, now(), policy));
    publishIngestMetrics(result, metrics);
    logger.info('events put', {
      received: inputs.length,
      stored: result.successful.length,
      failed: result.failed.length,
      filtered: result.filtered.length,
    });
    return json(200, result);
  };
}

/** The ingest function: POST /events, and the same through CloudTrail Data's PutAuditEvents (docs/cloudtrail-compat.md). */
export function createIngestHandler({
  config,
  writer,
  now = Date.now,
  policy = DEFAULT_INGEST_POLICY,
  logger = sharedLogger,
  metrics = createFunctionMetrics(),
}: IngestDependencies): HttpHandler {
  const dependencies = { config, writer, now, policy, logger, metrics };
  return createRouter<'put'>(
    {
      PutEvents: { route: createPutEventsRoute(dependencies), protocol: NATIVE_PROTOCOL },
      PutAuditEvents: { route: createPutAuditEventsRoute(dependencies), protocol: PUT_AUDIT_EVENTS_PROTOCOL },
    },
    // No early 503: the store's own budgets end every put with an answer per event (docs/pipeline.md).
    { logger, answerBeforeTimeout: false },
  );
}
