import type { Logger } from '@aws-lambda-powertools/logger';
import type { TrailConfig } from '../adapters/config.js';
import { type HttpHandler, jsonText, type Route } from '../adapters/http.js';
import { logger as sharedLogger } from '../adapters/logger.js';
import { RequestError } from '../core/errors.js';
import { isEventId } from '../core/event-id.js';
import { lookupPage } from '../core/lookup.js';
import { parseNativeLookup } from '../core/lookup-request.js';
import { NextTokenCodec } from '../core/next-token.js';
import type { EventReader } from '../core/ports.js';
import { createCloudTrailLookupRoute } from './cloudtrail-lookup.js';
import { LOOKUP_EVENTS_PROTOCOL, NATIVE_PROTOCOL } from './protocols.js';
import { createRouter } from './router.js';

export interface LookupDependencies {
  readonly config: TrailConfig;
  readonly reader: EventReader;
  readonly tokenSecret: () => Promise<string>;
  readonly now?: () => number;
  /** @default the function's shared logger (lambda/adapters/logger.ts) */
  readonly logger?: Logger;
}

/** What the lookup routes share: the token codec is built once, on first use, from the secret. */
export interface LookupRouteDependencies {
  readonly config: TrailConfig;
  readonly reader: EventReader;
  readonly tokens: () => Promise<NextTokenCodec>;
  readonly now: () => number;
  readonly logger: Logger;
}

/** A path parameter, percent-decoded when it can be; text that is not valid percent-encoding is taken as is. */
function decodedPathParameter(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** GET /events: lookup, newest first, paged. */
function createListEventsRoute({ config, reader, tokens, now, logger }: LookupRouteDependencies): Route {
  return async (event) => {
    const codec = await tokens();
    const request = parseNativeLookup(event.queryStringParameters ?? {}, {
      nowMs: now(),
      retentionDays: config.retentionDays,
    });
    const page = await lookupPage(request, reader, { writeShards: config.writeShards, tokens: codec });
    logger.info('events looked up', { returned: page.records.length, more: page.nextToken !== undefined });
    const nextToken = page.nextToken === undefined ? '' : `,"nextToken":${JSON.stringify(page.nextToken)}`;
    return jsonText(200, `{"events":[${page.records.join(',')}]${nextToken}}`);
  };
}

/** GET /events/{eventId}: one record, exactly as stored. */
function createGetEventRoute({ reader }: LookupRouteDependencies): Route {
  return async (event) => {
    const id = decodedPathParameter(event.pathParameters?.eventId ?? '');
    const record = isEventId(id) ? (await reader.readRecords([id])).get(id) : undefined;
    if (record === undefined) throw new RequestError('EventNotFound', `no event with eventID ${id}`);
    return jsonText(200, record);
  };
}

/**
 * The lookup function: GET /events, GET /events/{eventId} and POST / (CloudTrail's LookupEvents,
 * docs/cloudtrail-compat.md).
 */
export function createLookupHandler({
  config,
  reader,
  tokenSecret,
  now = Date.now,
  logger = sharedLogger,
}: LookupDependencies): HttpHandler {
  let codec: NextTokenCodec | undefined;
  const tokens = async (): Promise<NextTokenCodec> => {
    codec ??= new NextTokenCodec(await tokenSecret(), now);
    return codec;
  };
  const dependencies = { config, reader, tokens, now, logger };
  return createRouter<'lookup'>(
    {
      ListEvents: { route: createListEventsRoute(dependencies), protocol: NATIVE_PROTOCOL },
      GetEvent: { route: createGetEventRoute(dependencies), protocol: NATIVE_PROTOCOL },
      LookupEvents: { route: createCloudTrailLookupRoute(dependencies), protocol: LOOKUP_EVENTS_PROTOCOL },
    },
    { logger },
  );
}
