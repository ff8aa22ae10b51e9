import type { Logger } from '@aws-lambda-powertools/logger';
import type { TrailConfig } from '../adapters/config.js';
import { type HttpHandler, jsonText, type Route } from '../adapters/http.js';
import { logger as sharedLogger } from '../adapters/logger.js';
import { DEFAULT_TRAIL_NAME } from '../core/cloudtrail/trail-arn.js';
import type { ControlPlaneTrail, IntegrityLedgerReader } from '../core/cloudtrail/trail-reads.js';
import { RequestError } from '../core/errors.js';
import { isEventId } from '../core/event-id.js';
import { INSIGHT_TYPES } from '../core/insights/counters.js';
import type { CounterSeriesReader } from '../core/insights/series.js';
import { lookupEvents, lookupPage } from '../core/lookup.js';
import {
  type LookupRequestContext,
  parseEventCategory,
  parseNativeLookup,
  retentionStartMs,
} from '../core/lookup-request.js';
import { NextTokenCodec } from '../core/next-token.js';
import type { EventReader } from '../core/ports.js';
import { createCloudTrailRoute } from './cloudtrail-lookup.js';
import { createInsightSeriesRoute } from './insight-series.js';
import { CLOUDTRAIL_PROTOCOL, NATIVE_PROTOCOL } from './protocols.js';
import { createRouter } from './router.js';
import { createValueSuggestionsRoute } from './value-suggestions.js';

export interface LookupDependencies {
  readonly config: TrailConfig;
  readonly reader: EventReader;
  /** The insight counters the series route reads (docs/insights.md). */
  readonly counters: CounterSeriesReader;
  readonly tokenSecret: () => Promise<string>;
  /**
   * The trail CloudTrail's control-plane reads describe; without an ARN, it is made from the trail's account.
   * @default a trail named DEFAULT_TRAIL_NAME in the function's region, with both insight types, integrity off
   */
  readonly trail?: TrailSettings;
  /** The integrity ledger GetTrailStatus and ListPublicKeys read; absent when integrity is off. */
  readonly ledger?: IntegrityLedgerReader;
  readonly now?: () => number;
  /** @default the function's shared logger (lambda/adapters/logger.ts) */
  readonly logger?: Logger;
}

/** The trail as the function is configured with it: its ARN may be left to the API's account. */
export type TrailSettings = Omit<ControlPlaneTrail, 'arn'> & { readonly arn?: string };

/** What the lookup routes share: the token codec is built once, on first use, from the secret. */
export interface LookupRouteDependencies {
  readonly config: TrailConfig;
  readonly reader: EventReader;
  readonly counters: CounterSeriesReader;
  readonly tokens: () => Promise<NextTokenCodec>;
  readonly trail: TrailSettings;
  readonly ledger?: IntegrityLedgerReader;
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

/** What every lookup of a request reads: the time now and the trail's retention. */
export function requestContext({ config, now }: LookupRouteDependencies): LookupRequestContext {
  return { nowMs: now(), retentionDays: config.retentionDays };
}

/** GET /events: lookup, newest first, paged. */
function createListEventsRoute(dependencies: LookupRouteDependencies): Route {
  const { config, reader, tokens } = dependencies;
  return async (event, { signal, logger }) => {
    const codec = await tokens();
    const context = requestContext(dependencies);
    const request = parseNativeLookup(event.queryStringParameters ?? {}, context);
    const page = await lookupPage(request, reader, {
      writeShards: config.writeShards,
      tokens: codec,
      signal,
      notBeforeMs: retentionStartMs(context),
    });
    logger.info('events looked up', { returned: page.records.length, more: page.nextToken !== undefined });
    const nextToken = page.nextToken === undefined ? '' : `,"nextToken":${JSON.stringify(page.nextToken)}`;
    return jsonText(200, `{"events":[${page.records.join(',')}]${nextToken}}`);
  };
}

/**
 * GET /events/{eventId}: one record, exactly as stored. It is the EventId lookup over the whole retention window,
 * so it answers what `GET /events?EventId=` answers: an insight only with EventCategory=insight, and no event past
 * its retention.
 */
function createGetEventRoute(dependencies: LookupRouteDependencies): Route {
  const { config, reader } = dependencies;
  return async (event, { signal }) => {
    const id = decodedPathParameter(event.pathParameters?.eventId ?? '');
    const eventCategory = parseEventCategory(event.queryStringParameters?.EventCategory);
    const context = requestContext(dependencies);
    const query = {
      attributes: { EventId: id },
      startMs: retentionStartMs(context),
      endMs: Number.MAX_SAFE_INTEGER,
      maxResults: 1,
      ...(eventCategory ? { eventCategory } : {}),
    };
    const [record] = isEventId(id)
      ? (await lookupEvents(query, reader, { writeShards: config.writeShards, signal })).records
      : [];
    if (record === undefined) throw new RequestError('EventNotFound', `no event with eventID ${id}`);
    return jsonText(200, record);
  };
}

/**
 * The lookup function: GET /events, GET /events/{eventId}, POST / (CloudTrail's LookupEvents and the trail's
 * control-plane reads, docs/cloudtrail-compat.md), and the console's GET /insights/{sharedEventID}/series and
 * GET /values/{attribute}.
 */
export function createLookupHandler({
  config,
  reader,
  counters,
  tokenSecret,
  trail = { name: DEFAULT_TRAIL_NAME, homeRegion: config.region, insightTypes: INSIGHT_TYPES },
  ledger,
  now = Date.now,
  logger = sharedLogger,
}: LookupDependencies): HttpHandler {
  let codec: NextTokenCodec | undefined;
  const tokens = async (): Promise<NextTokenCodec> => {
    codec ??= new NextTokenCodec(await tokenSecret(), now);
    return codec;
  };
  const dependencies = {
    config,
    reader,
    counters,
    tokens,
    trail,
    now,
    logger,
    ...(ledger ? { ledger } : {}),
  };
  return createRouter<'lookup'>(
    {
      ListEvents: { route: createListEventsRoute(dependencies), protocol: NATIVE_PROTOCOL },
      GetEvent: { route: createGetEventRoute(dependencies), protocol: NATIVE_PROTOCOL },
      // POST /: every CloudTrail operation, by X-Amz-Target; the route keeps TRAIL_ROUTES' name, LookupEvents.
      LookupEvents: { route: createCloudTrailRoute(dependencies), protocol: CLOUDTRAIL_PROTOCOL },
      GetInsightSeries: { route: createInsightSeriesRoute(dependencies), protocol: NATIVE_PROTOCOL },
      GetValueSuggestions: { route: createValueSuggestionsRoute(dependencies), protocol: NATIVE_PROTOCOL },
    },
    { logger },
  );
}
