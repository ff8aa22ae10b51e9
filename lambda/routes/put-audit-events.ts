import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { TrailConfig } from '../adapters/config.js';
import { bodyText, json, type Route } from '../adapters/http.js';
import { publishIngestMetrics } from '../adapters/ingest-metrics.js';
import {
  type AuditEventFailure,
  parseExternalId,
  parsePutAuditEventsBody,
  putAuditEventsResponse,
  toProducerEvent,
} from '../core/cloudtrail/audit-events.js';
import { checkChannelPrincipal, resolveChannel } from '../core/cloudtrail/channels.js';
import type { ProducerEvent } from '../core/event-model.js';
import { type IngestOptions, type IngestPolicy, putEvents } from '../core/ingest.js';
import type { EventWriter } from '../core/ports.js';
import { requestIngestOptions } from './ingest-options.js';

export interface PutAuditEventsDependencies {
  readonly config: TrailConfig;
  readonly writer: EventWriter;
  readonly now: () => number;
  readonly policy: IngestPolicy;
  readonly metrics: Metrics;
}

/**
 * POST /PutAuditEvents?channelArn=...&externalId=...: CloudTrail Data's PutAuditEvents. Request-level checks
 * first (channel, caller, body), then each audit event is mapped and put like any producer event.
 */
export function createPutAuditEventsRoute({
  config,
  writer,
  now,
  policy,
  metrics,
}: PutAuditEventsDependencies): Route {
  return async (event, { logger }) => {
    const producerArn = event.requestContext.authorizer?.iam?.userArn;
    const channel = resolveChannel(event.queryStringParameters?.channelArn, config.channels, producerArn);
    checkChannelPrincipal(channel, producerArn);
    const externalId = parseExternalId(event.queryStringParameters?.externalId);
    const auditEvents = parsePutAuditEventsBody(bodyText(event));

    const rejected = new Map<number, Omit<AuditEventFailure, 'id'>>();
    const inputs: ProducerEvent[] = [];
    const ingestedIndexes: number[] = [];
    auditEvents.forEach((auditEvent, index) => {
      const mapping = toProducerEvent(auditEvent);
      if (mapping.ok) {
        inputs.push(mapping.event);
        ingestedIndexes.push(index);
      } else {
        rejected.set(index, { errorCode: mapping.errorCode, errorMessage: mapping.errorMessage });
      }
    });
    const options: IngestOptions = {
      ...requestIngestOptions(config, event, now(), policy),
      channelArn: channel.arn,
      ...(externalId === undefined ? {} : { externalId }),
    };
    const result = await putEvents(inputs, writer, options);
    const response = putAuditEventsResponse(auditEvents, rejected, ingestedIndexes, result);
    // Counted from the response: refusals before ingest too, under the codes the client was told.
    publishIngestMetrics({ ...result, failed: response.failed }, metrics);
    // `successful` also lists the events the selectors filtered (as CloudTrail answers them): log them apart.
    logger.info('audit events put', {
      received: auditEvents.length,
      stored: result.successful.length,
      failed: response.failed.length,
      filtered: result.filtered.length,
    });
    return json(200, response);
  };
}
