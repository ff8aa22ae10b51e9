import type { TrailConfig } from '../adapters/config.js';
import { bodyText, type HttpHandler, httpHandler, json, restJsonErrorResult } from '../adapters/http.js';
import { logger } from '../adapters/logger.js';
import { parsePutEventsBody, putEvents } from '../core/ingest.js';
import type { EventWriter } from '../core/ports.js';
import { requestIngestOptions } from './ingest-options.js';
import { createPutAuditEventsRoute } from './put-audit-events.js';

export interface IngestDependencies {
  readonly config: TrailConfig;
  readonly writer: EventWriter;
  readonly now?: () => number;
}

/**
 * POST /events: one event or { events: [...] }; every event is judged on its own. POST /PutAuditEvents: the same
 * through CloudTrail Data's PutAuditEvents (docs/cloudtrail-compat.md).
 */
export function createIngestHandler({ config, writer, now = Date.now }: IngestDependencies): HttpHandler {
  const putAuditEvents = httpHandler(createPutAuditEventsRoute({ config, writer, now }), restJsonErrorResult);
  const nativePut = httpHandler(async (event) => {
    const inputs = parsePutEventsBody(bodyText(event));
    const result = await putEvents(inputs, writer, requestIngestOptions(config, event, now()));
    logger.info('events put', {
      received: inputs.length,
      stored: result.successful.length,
      failed: result.failed.length,
    });
    return json(200, result);
  });
  return (event, context) =>
    event.routeKey === 'POST /PutAuditEvents' ? putAuditEvents(event, context) : nativePut(event, context);
}
