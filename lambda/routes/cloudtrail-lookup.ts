import { bodyText, jsonText, type Route } from '../adapters/http.js';
import {
  cloudTrailEventBytes,
  LOOKUP_EVENTS_TARGETS,
  lookupEventsResponse,
  parseJsonBody,
  parseLookupEventsRequest,
} from '../core/cloudtrail/lookup-events.js';
import { RequestError } from '../core/errors.js';
import { lookupPage } from '../core/lookup.js';
import { retentionStartMs } from '../core/lookup-request.js';
import { type LookupRouteDependencies, requestContext } from './lookup.js';
import { AWS_JSON_CONTENT_TYPE } from './protocols.js';

/** POST / with X-Amz-Target LookupEvents: CloudTrail's LookupEvents, served by OpenTrail's lookup. */
export function createCloudTrailLookupRoute(dependencies: LookupRouteDependencies): Route {
  const { config, reader, tokens } = dependencies;
  return async (event, { signal, logger }) => {
    const target = event.headers?.['x-amz-target'];
    if (target === undefined || !LOOKUP_EVENTS_TARGETS.includes(target)) {
      throw new RequestError(
        'UnknownOperation',
        `X-Amz-Target ${JSON.stringify(target ?? '')} is not an operation OpenTrail serves; it serves ${LOOKUP_EVENTS_TARGETS[0]}`,
      );
    }
    const context = requestContext(dependencies);
    const request = parseLookupEventsRequest(parseJsonBody(bodyText(event)), context);
    const page = await lookupPage(request, reader, {
      writeShards: config.writeShards,
      tokens: await tokens(),
      signal,
      notBeforeMs: retentionStartMs(context),
      recordBytes: cloudTrailEventBytes,
    });
    logger.info('cloudtrail events looked up', {
      returned: page.records.length,
      more: page.nextToken !== undefined,
    });
    return jsonText(200, lookupEventsResponse(page, page.nextToken), {
      'content-type': AWS_JSON_CONTENT_TYPE,
    });
  };
}
