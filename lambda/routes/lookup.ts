import type { TrailConfig } from '../adapters/config.js';
import { awsJsonErrorResult, type HttpHandler, httpHandler, jsonText } from '../adapters/http.js';
import { logger } from '../adapters/logger.js';
import { RequestError } from '../core/errors.js';
import { isEventId } from '../core/event-id.js';
import { lookupEvents } from '../core/lookup.js';
import { parseNativeLookup } from '../core/lookup-request.js';
import { NextTokenCodec } from '../core/next-token.js';
import type { EventReader } from '../core/ports.js';
import { routeKey, TRAIL_ROUTES } from '../core/trail-routes.js';
import { createCloudTrailLookupRoute } from './cloudtrail-lookup.js';

const LOOKUP_EVENTS_ROUTE_KEY = routeKey(TRAIL_ROUTES.LookupEvents);

/** A path parameter, percent-decoded when it can be; text that is not valid percent-encoding is taken as is. */
function decodedPathParameter(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export interface LookupDependencies {
  readonly config: TrailConfig;
  readonly reader: EventReader;
  readonly tokenSecret: () => Promise<string>;
  readonly now?: () => number;
}

/**
 * GET /events (lookup, newest first, paged), GET /events/{eventId} (one record) and POST / (CloudTrail's
 * LookupEvents, docs/cloudtrail-compat.md).
 */
export function createLookupHandler({
  config,
  reader,
  tokenSecret,
  now = Date.now,
}: LookupDependencies): HttpHandler {
  let tokens: NextTokenCodec | undefined;
  const codec = async (): Promise<NextTokenCodec> => {
    tokens ??= new NextTokenCodec(await tokenSecret(), now);
    return tokens;
  };

  const cloudTrailLookup = httpHandler(
    createCloudTrailLookupRoute({ config, reader, tokens: codec, now }),
    awsJsonErrorResult,
  );
  const nativeLookup = httpHandler(async (event) => {
    const eventId = event.pathParameters?.eventId;
    if (event.routeKey.startsWith('GET /events/') || eventId !== undefined) {
      const id = decodedPathParameter(eventId ?? '');
      const record = isEventId(id) ? (await reader.readRecords([id])).get(id) : undefined;
      if (record === undefined) throw new RequestError(404, 'EventNotFound', `no event with eventID ${id}`);
      return jsonText(200, record);
    }
    const tokenCodec = await codec();
    const { query, fingerprint } = parseNativeLookup(event.queryStringParameters ?? {}, {
      nowMs: now(),
      retentionDays: config.retentionDays,
      tokens: tokenCodec,
    });
    const page = await lookupEvents(query, reader, { writeShards: config.writeShards });
    logger.info('events looked up', { returned: page.records.length, more: page.lastEventID !== undefined });
    const nextToken =
      page.lastEventID === undefined
        ? ''
        : `,"nextToken":${JSON.stringify(
            tokenCodec.encode(
              { afterEventID: page.lastEventID, startMs: query.startMs, endMs: query.endMs },
              fingerprint,
            ),
          )}`;
    return jsonText(200, `{"events":[${page.records.join(',')}]${nextToken}}`);
  });
  return (event, context) =>
    event.routeKey === LOOKUP_EVENTS_ROUTE_KEY
      ? cloudTrailLookup(event, context)
      : nativeLookup(event, context);
}
