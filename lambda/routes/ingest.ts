import type { TrailConfig } from '../adapters/config.js';
import {
  bodyText,
  errorResult,
  type HttpHandler,
  httpHandler,
  json,
  restJsonErrorResult,
} from '../adapters/http.js';
import { publishIngestMetrics } from '../adapters/ingest-metrics.js';
import { logger } from '../adapters/logger.js';
import { DEFAULT_INGEST_POLICY, type IngestPolicy, parsePutEventsBody, putEvents } from '../core/ingest.js';
import type { EventWriter } from '../core/ports.js';
import { routeKey, TRAIL_ROUTES } from '../core/trail-routes.js';
import { requestIngestOptions } from './ingest-options.js';
import { createPutAuditEventsRoute } from './put-audit-events.js';

export interface IngestDependencies {
  readonly config: TrailConfig;
  readonly writer: EventWriter;
  readonly now?: () => number;
  /** What the trail records and masks (docs/selectors.md). @default CloudTrail's default trail, default redaction */
  readonly policy?: IngestPolicy;
}

/**
 * POST /events: one event or { events: [...] }; every event is judged on its own. POST /PutAuditEvents: the same
 * through CloudTrail Data's PutAuditEvents (docs/cloudtrail-compat.md).
 */
export function createIngestHandler({
  config,
  writer,
  now = Date.now,
  policy = DEFAULT_INGEST_POLICY,
}: IngestDependencies): HttpHandler {
  // No early 503: the store's own budgets end every put with an answer per event (docs/pipeline.md).
  const writes = { answerBeforeTimeout: false };
  const putAuditEvents = httpHandler(
    createPutAuditEventsRoute({ config, writer, now, policy }),
    restJsonErrorResult,
    writes,
  );
  const nativePut = httpHandler(
    async (event) => {
      const inputs = parsePutEventsBody(bodyText(event));
      const result = await putEvents(inputs, writer, requestIngestOptions(config, event, now(), policy));
      publishIngestMetrics(result);
      logger.info('events put', {
        received: inputs.length,
        stored: result.successful.length,
        failed: result.failed.length,
        filtered: result.filtered.length,
      });
      return json(200, result);
    },
    errorResult,
    writes,
  );
  const putAuditEventsRoute = routeKey(TRAIL_ROUTES.PutAuditEvents);
  return (event, context) =>
    event.routeKey === putAuditEventsRoute ? putAuditEvents(event, context) : nativePut(event, context);
}
