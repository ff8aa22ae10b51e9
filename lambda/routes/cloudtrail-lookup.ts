import { bodyText, type HttpEvent, jsonText, type Route, type RouteRequest } from '../adapters/http.js';
import { parseJsonBody } from '../core/cloudtrail/aws-json.js';
import {
  cloudTrailEventBytes,
  lookupEventsResponse,
  parseLookupEventsRequest,
} from '../core/cloudtrail/lookup-events.js';
import { type CloudTrailOperation, cloudTrailOperationOf } from '../core/cloudtrail/operations.js';
import { trailArn } from '../core/cloudtrail/trail-arn.js';
import {
  type ControlPlaneTrail,
  checkTrailStatusRequest,
  describeTrails,
  getEventSelectors,
  getInsightSelectors,
  getTrail,
  listTrails,
  parseListPublicKeysRequest,
  publicKeysInRange,
  trailStatus,
} from '../core/cloudtrail/trail-reads.js';
import { LIMITS } from '../core/limits.js';
import { lookupPage } from '../core/lookup.js';
import { retentionStartMs } from '../core/lookup-request.js';
import { type LookupRouteDependencies, requestContext } from './lookup.js';
import { AWS_JSON_CONTENT_TYPE } from './protocols.js';

/** What one operation gets: its parsed body, the trail it reads, and the request's signal and logger. */
interface OperationRequest extends RouteRequest {
  readonly body: Record<string, unknown>;
  readonly trail: ControlPlaneTrail;
}

/** One operation's work: the response body as JSON text. */
type Operation = (request: OperationRequest) => Promise<string>;

/**
 * The trail the reads describe. Its ARN is the configured one (the stack's and local mode's, lambda/core/cloudtrail/
 * trail-arn.ts); without one it is made from the trail's account (the configured one, or the API's own).
 */
function trailOf({ config, trail }: LookupRouteDependencies, event: HttpEvent): ControlPlaneTrail {
  if (trail.arn !== undefined) return { ...trail, arn: trail.arn };
  const account = config.accountId ?? event.requestContext.accountId;
  return { ...trail, arn: trailArn({ region: trail.homeRegion, account, name: trail.name }) };
}

/**
 * POST /: CloudTrail's awsJson1_1 API, one operation per X-Amz-Target: LookupEvents, served by OpenTrail's lookup,
 * and the trail's control-plane reads (docs/cloudtrail-compat.md), served from the deployment's settings and the
 * integrity ledger. One table holds every operation; a target it lacks is refused before the body is read.
 */
export function createCloudTrailRoute(dependencies: LookupRouteDependencies): Route {
  const { config, reader, tokens, ledger, now } = dependencies;
  const json = (value: unknown) => Promise.resolve(JSON.stringify(value));

  const operations: Readonly<Record<CloudTrailOperation, Operation>> = {
    LookupEvents: async ({ body, signal, logger }) => {
      const context = requestContext(dependencies);
      const request = parseLookupEventsRequest(body, context);
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
      return lookupEventsResponse(page, page.nextToken);
    },
    DescribeTrails: ({ body, trail }) => json(describeTrails(body, trail)),
    GetTrail: ({ body, trail }) => json(getTrail(body, trail)),
    ListTrails: ({ body, trail }) => json(listTrails(body, trail)),
    GetTrailStatus: async ({ body, trail, signal }) => {
      checkTrailStatusRequest(body, trail);
      const [head, oldestDigest] =
        ledger === undefined
          ? []
          : await Promise.all([ledger.readChainHead({ signal }), ledger.readOldestDigest({ signal })]);
      return JSON.stringify(trailStatus(head, oldestDigest));
    },
    ListPublicKeys: async ({ body, signal, logger }) => {
      const range = parseListPublicKeysRequest(body, now());
      if (ledger === undefined) return JSON.stringify(publicKeysInRange([], range));
      const { keys, more } = await ledger.readSigningKeys(LIMITS.signingKeysRead, { signal });
      // Decades of rotations; past them the oldest keys are left out, and validate-logs names what it cannot check.
      if (more)
        logger.warn('signing key registry holds more keys than one read takes', { read: keys.length });
      return JSON.stringify(publicKeysInRange(keys, range));
    },
    GetEventSelectors: ({ body, trail }) => json(getEventSelectors(body, trail)),
    GetInsightSelectors: ({ body, trail }) => json(getInsightSelectors(body, trail)),
  };

  return async (event, { signal, logger }) => {
    const operation = cloudTrailOperationOf(event.headers?.['x-amz-target']);
    // The request's own logger: the key marks its every line, the refusal's included.
    logger.appendKeys({ operation });
    const body = parseJsonBody(bodyText(event));
    const responseBody = await operations[operation]({
      body,
      trail: trailOf(dependencies, event),
      signal,
      logger,
    });
    return jsonText(200, responseBody, { 'content-type': AWS_JSON_CONTENT_TYPE });
  };
}
