import type { TrailConfig } from '../adapters/config.js';
import {
  AWS_JSON_CONTENT_TYPE,
  bodyText,
  type HttpEvent,
  type HttpResult,
  jsonText,
} from '../adapters/http.js';
import { logger } from '../adapters/logger.js';
import {
  CLOUDTRAIL_ERRORS,
  LOOKUP_EVENTS_TARGETS,
  lookupEventsResponse,
  parseJsonBody,
  parseLookupEventsRequest,
} from '../core/cloudtrail/lookup-events.js';
import { badRequest } from '../core/errors.js';
import { lookupEvents } from '../core/lookup.js';
import type { NextTokenCodec } from '../core/next-token.js';
import type { EventReader } from '../core/ports.js';

export interface CloudTrailLookupDependencies {
  readonly config: TrailConfig;
  readonly reader: EventReader;
  readonly tokens: () => Promise<NextTokenCodec>;
  readonly now: () => number;
}

/** POST / with X-Amz-Target LookupEvents: CloudTrail's LookupEvents, served by OpenTrail's lookup. */
export function createCloudTrailLookupRoute({ config, reader, tokens, now }: CloudTrailLookupDependencies) {
  return async (event: HttpEvent): Promise<HttpResult> => {
    const target = event.headers?.['x-amz-target'];
    if (target === undefined || !LOOKUP_EVENTS_TARGETS.includes(target)) {
      throw badRequest(
        CLOUDTRAIL_ERRORS.unknownOperation,
        `X-Amz-Target ${JSON.stringify(target ?? '')} is not an operation OpenTrail serves; it serves ${LOOKUP_EVENTS_TARGETS[0]}`,
      );
    }
    const request = parseLookupEventsRequest(
      parseJsonBody(bodyText(event, CLOUDTRAIL_ERRORS.serialization)),
      {
        nowMs: now(),
        retentionDays: config.retentionDays,
      },
    );
    const codec = await tokens();
    const cursor =
      request.nextToken === undefined
        ? undefined
        : codec.decode(request.nextToken, request.fingerprint, CLOUDTRAIL_ERRORS.nextToken);
    const query = cursor
      ? { ...request.query, startMs: cursor.startMs, endMs: cursor.endMs, afterEventID: cursor.afterEventID }
      : request.query;
    const page = await lookupEvents(query, reader, { writeShards: config.writeShards });
    logger.info('cloudtrail events looked up', {
      returned: page.records.length,
      more: page.lastEventID !== undefined,
    });
    const nextToken =
      page.lastEventID === undefined
        ? undefined
        : codec.encode(
            { afterEventID: page.lastEventID, startMs: query.startMs, endMs: query.endMs },
            request.fingerprint,
          );
    return jsonText(200, lookupEventsResponse(page, nextToken), { 'content-type': AWS_JSON_CONTENT_TYPE });
  };
}
