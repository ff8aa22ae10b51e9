import { RequestError } from '../errors.js';
import type { InsightType } from '../insights/counters.js';
import type { ChainHead, DigestRecord, SigningKeyRecord } from '../integrity/ledger-layout.js';
import { LIMITS } from '../limits.js';
import type { TrailSelectors } from '../selectors.js';
import { epochSeconds, optionalBoolean, optionalString, parseEpochSeconds, wrongType } from './aws-json.js';
import { type CloudTrailEventSelectors, cloudTrailEventSelectors } from './event-selectors.js';
import { parseTrailArn, trailNameProblem } from './trail-arn.js';

/**
 * CloudTrail's control-plane reads of the one trail an OpenTrail deployment is: DescribeTrails, GetTrail,
 * ListTrails, GetTrailStatus, ListPublicKeys, GetEventSelectors and GetInsightSelectors, parsed from their awsJson
 * requests and answered in CloudTrail's shapes (botocore's CloudTrail model, 2013-11-01), so that boto3, the SDKs and
 * `aws cloudtrail validate-logs` read them unchanged. Times are epoch seconds, as awsJson answers timestamps.
 */

/** The trail as its deployment describes it: what every read answers from, besides the ledger. */
export interface ControlPlaneTrail {
  readonly name: string;
  readonly arn: string;
  readonly homeRegion: string;
  /** The `selectors` setting (docs/selectors.md); undefined is CloudTrail's default trail. */
  readonly selectors?: TrailSelectors;
  /** The insight types the trail detects; empty when its insights are off. */
  readonly insightTypes: readonly InsightType[];
  /** Where the digests are (docs/integrity.md); undefined when integrity is off. */
  readonly digests?: { readonly bucketName: string; readonly keyPrefix: string };
}

export interface LedgerReadOptions {
  readonly signal?: AbortSignal;
}

/** What the control plane reads from the integrity ledger (lambda/core/integrity/ledger-layout.ts). */
export interface IntegrityLedgerReader {
  /** The chain head, or undefined before the first digest. */
  readChainHead(options?: LedgerReadOptions): Promise<ChainHead | undefined>;
  /** The first digest written, or undefined before it. */
  readOldestDigest(options?: LedgerReadOptions): Promise<DigestRecord | undefined>;
  /** Up to `limit` signing keys, newest validity start first, and whether the registry holds more. */
  readSigningKeys(
    limit: number,
    options?: LedgerReadOptions,
  ): Promise<{ readonly keys: readonly SigningKeyRecord[]; readonly more: boolean }>;
}

/** CloudTrail's `Trail` (DescribeTrails, GetTrail). */
export interface CloudTrailTrail {
  readonly Name: string;
  /** The digest bucket: validate-logs lists digests there, and their logFiles name the archive objects. */
  readonly S3BucketName?: string;
  readonly S3KeyPrefix?: string;
  readonly IncludeGlobalServiceEvents: boolean;
  readonly IsMultiRegionTrail: boolean;
  readonly HomeRegion: string;
  readonly TrailARN: string;
  readonly LogFileValidationEnabled: boolean;
  readonly HasCustomEventSelectors: boolean;
  readonly HasInsightSelectors: boolean;
  readonly IsOrganizationTrail: boolean;
}

export function describeTrail(trail: ControlPlaneTrail): CloudTrailTrail {
  const { digests } = trail;
  return {
    Name: trail.name,
    ...(digests === undefined ? {} : { S3BucketName: digests.bucketName }),
    ...(digests === undefined || digests.keyPrefix === '' ? {} : { S3KeyPrefix: digests.keyPrefix }),
    // A producer's events have no global services to leave out: every event the selectors keep is recorded.
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: false,
    HomeRegion: trail.homeRegion,
    TrailARN: trail.arn,
    LogFileValidationEnabled: digests !== undefined,
    HasCustomEventSelectors: trail.selectors !== undefined,
    HasInsightSelectors: trail.insightTypes.length > 0,
    IsOrganizationTrail: false,
  };
}

/**
 * Whether a name or ARN member names the trail. A malformed one is refused as CloudTrail refuses it: text
 * starting `arn:` that is no trail ARN is InvalidTrailArn, any other text breaking the naming rules InvalidTrailName.
 */
function namesTrail(member: string, value: string, trail: ControlPlaneTrail): boolean {
  if (value.startsWith('arn:')) {
    const parts = parseTrailArn(value);
    if (parts === undefined || trailNameProblem(parts.name) !== undefined) {
      throw new RequestError(
        'InvalidTrailArn',
        `${member} ${JSON.stringify(value.slice(0, 200))} is not a trail ARN (arn:<partition>:cloudtrail:<region>:<account>:trail/<name>)`,
      );
    }
    return value === trail.arn;
  }
  const problem = trailNameProblem(value);
  if (problem !== undefined) throw new RequestError('InvalidTrailName', `${member}: ${problem}`);
  return value === trail.name;
}

/** The trail a required name-or-ARN member names; any other is TrailNotFound, in CloudTrail's words. */
function requireTrail(member: string, value: unknown, trail: ControlPlaneTrail): void {
  const reference = optionalString(member, value);
  if (reference === undefined) {
    throw new RequestError('InvalidTrailName', `${member} is required: the trail's name or ARN`);
  }
  if (!namesTrail(member, reference, trail)) {
    throw new RequestError(
      'TrailNotFound',
      `Unknown trail: ${reference.slice(0, 200)} for the user: ${parseTrailArn(trail.arn)?.account ?? ''}; this API serves the trail ${trail.arn}`,
    );
  }
}

/** DescribeTrails: the trail when the list is empty or names it, else an empty list (as CloudTrail answers). */
export function describeTrails(
  body: Record<string, unknown>,
  trail: ControlPlaneTrail,
): { readonly trailList: CloudTrailTrail[] } {
  // No shadow trails: the trail is not multi-region, so the member changes nothing; it is still checked.
  optionalBoolean('includeShadowTrails', body.includeShadowTrails);
  const list = body.trailNameList;
  if (list === undefined || list === null) return { trailList: [describeTrail(trail)] };
  if (!Array.isArray(list)) throw wrongType('trailNameList', 'a list of trail names or ARNs');
  if (list.length > LIMITS.cloudTrailTrailNames) {
    throw new RequestError(
      'InvalidParameter',
      `trailNameList holds ${list.length} entries; at most ${LIMITS.cloudTrailTrailNames} are allowed`,
    );
  }
  let named = list.length === 0;
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') throw wrongType(`trailNameList[${i}]`, 'a trail name or ARN');
    named = namesTrail(`trailNameList[${i}]`, entry, trail) || named;
  });
  return { trailList: named ? [describeTrail(trail)] : [] };
}

export function getTrail(
  body: Record<string, unknown>,
  trail: ControlPlaneTrail,
): { readonly Trail: CloudTrailTrail } {
  requireTrail('Name', body.Name, trail);
  return { Trail: describeTrail(trail) };
}

/** ListTrails: one page holding the one trail; OpenTrail never issues a NextToken. */
export function listTrails(
  body: Record<string, unknown>,
  trail: ControlPlaneTrail,
): { readonly Trails: ReadonlyArray<{ TrailARN: string; Name: string; HomeRegion: string }> } {
  refuseNextToken(body.NextToken, 'ListTrails');
  return { Trails: [{ TrailARN: trail.arn, Name: trail.name, HomeRegion: trail.homeRegion }] };
}

function refuseNextToken(value: unknown, operation: string): void {
  if (optionalString('NextToken', value) !== undefined) {
    throw new RequestError(
      'InvalidNextToken',
      `${operation} answers in one page and issues no NextToken; call it without one`,
    );
  }
}

/** GetTrailStatus' answer: CloudTrail's members that OpenTrail knows; the ones CloudTrail retired are left out. */
export interface CloudTrailTrailStatus {
  readonly IsLogging: boolean;
  readonly LatestDeliveryTime?: number;
  readonly LatestDigestDeliveryTime?: number;
  readonly StartLoggingTime?: number;
}

/** Checks that a GetTrailStatus request names the trail; the answer then comes from the ledger (trailStatus). */
export function checkTrailStatusRequest(body: Record<string, unknown>, trail: ControlPlaneTrail): void {
  requireTrail('Name', body.Name, trail);
}

const secondsOf = (iso: string | undefined): number | undefined => {
  const ms = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(ms) ? undefined : epochSeconds(ms);
};

/**
 * The trail's status from the ledger: it logs whenever its API runs; the latest delivery is the newest archive
 * object the digester recorded, the latest digest delivery the newest digest put, and logging started with the
 * first digest's period. Without a ledger (integrity off) only IsLogging is known.
 */
export function trailStatus(
  head: ChainHead | undefined,
  oldestDigest: DigestRecord | undefined,
): CloudTrailTrailStatus {
  const latestDelivery = secondsOf(head?.latestDeliveryTime);
  const latestDigest = secondsOf(head?.lastDigestDeliveredAt);
  const started = secondsOf(oldestDigest?.digestStartTime);
  return {
    IsLogging: true,
    ...(latestDelivery === undefined ? {} : { LatestDeliveryTime: latestDelivery }),
    ...(latestDigest === undefined ? {} : { LatestDigestDeliveryTime: latestDigest }),
    ...(started === undefined ? {} : { StartLoggingTime: started }),
  };
}

/** CloudTrail's `PublicKey`. */
export interface CloudTrailPublicKey {
  /** Base64 of the PKCS#1 DER RSA public key: awsJson's blob encoding, decoded by the SDKs and by validate-logs. */
  readonly Value: string;
  readonly ValidityStartTime: number;
  /** Absent while the key is the current one. */
  readonly ValidityEndTime?: number;
  readonly Fingerprint: string;
}

/** The validity window ListPublicKeys asks about, in ms; either end unset is the time now, as in CloudTrail. */
export interface PublicKeyRange {
  readonly startMs: number;
  readonly endMs: number;
}

export function parseListPublicKeysRequest(body: Record<string, unknown>, nowMs: number): PublicKeyRange {
  const startMs = parseEpochSeconds('StartTime', body.StartTime) ?? nowMs;
  const endMs = parseEpochSeconds('EndTime', body.EndTime) ?? nowMs;
  if (startMs > endMs) {
    throw new RequestError(
      'InvalidTimeRange',
      `StartTime (${new Date(startMs).toISOString()}) is after EndTime (${new Date(endMs).toISOString()})`,
    );
  }
  refuseNextToken(body.NextToken, 'ListPublicKeys');
  return { startMs, endMs };
}

/**
 * Every key valid at some time of the range, in one page (validate-logs reads one page only): a key is valid from
 * its start to its end, inclusive, and a key without an end is current. Keys the registry holds in a form this
 * reader does not know are left out.
 */
export function publicKeysInRange(
  keys: readonly SigningKeyRecord[],
  { startMs, endMs }: PublicKeyRange,
): { readonly PublicKeyList: CloudTrailPublicKey[] } {
  const PublicKeyList: CloudTrailPublicKey[] = [];
  for (const key of keys) {
    const validFrom = Date.parse(key.validityStart);
    const validTo = key.validityEnd === undefined ? Number.POSITIVE_INFINITY : Date.parse(key.validityEnd);
    if (Number.isNaN(validFrom) || Number.isNaN(validTo) || validFrom > endMs || validTo < startMs) continue;
    PublicKeyList.push({
      Value: key.publicKeyPkcs1,
      ValidityStartTime: epochSeconds(validFrom),
      ...(key.validityEnd === undefined ? {} : { ValidityEndTime: epochSeconds(validTo) }),
      Fingerprint: key.fingerprint,
    });
  }
  return { PublicKeyList };
}

export function getEventSelectors(
  body: Record<string, unknown>,
  trail: ControlPlaneTrail,
): { readonly TrailARN: string } & CloudTrailEventSelectors {
  requireTrail('TrailName', body.TrailName, trail);
  return { TrailARN: trail.arn, ...cloudTrailEventSelectors(trail.selectors) };
}

/**
 * The event categories each insight type counts (keysOf in lambda/core/insights/counters.ts): the call rate of
 * write management events, the error rate of every failed call the trail keeps.
 */
const INSIGHT_EVENT_CATEGORIES: Readonly<Record<InsightType, readonly ('Management' | 'Data')[]>> = {
  ApiCallRateInsight: ['Management'],
  ApiErrorRateInsight: ['Management', 'Data'],
};

export function getInsightSelectors(
  body: Record<string, unknown>,
  trail: ControlPlaneTrail,
): {
  readonly TrailARN: string;
  readonly InsightSelectors: ReadonlyArray<{
    InsightType: InsightType;
    EventCategories: readonly string[];
  }>;
} {
  const eventDataStore = optionalString('EventDataStore', body.EventDataStore);
  if (eventDataStore !== undefined) {
    throw new RequestError(
      body.TrailName === undefined || body.TrailName === null
        ? 'InvalidParameter'
        : 'InvalidParameterCombination',
      'OpenTrail has no event data stores: name the trail with TrailName, without EventDataStore',
    );
  }
  requireTrail('TrailName', body.TrailName, trail);
  if (trail.insightTypes.length === 0) {
    throw new RequestError('InsightNotEnabled', `Insights are not enabled on trail ${trail.arn}`);
  }
  return {
    TrailARN: trail.arn,
    InsightSelectors: trail.insightTypes.map((insightType) => ({
      InsightType: insightType,
      EventCategories: INSIGHT_EVENT_CATEGORIES[insightType],
    })),
  };
}
