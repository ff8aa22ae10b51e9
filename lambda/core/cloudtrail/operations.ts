import { RequestError } from '../errors.js';

/**
 * The CloudTrail operations `POST /` serves, by the X-Amz-Target the SDKs send: the short form
 * `CloudTrail_20131101.<Operation>` or the fully qualified one the Smithy model names (botocore's targetPrefix).
 */
export const CLOUDTRAIL_TARGET_PREFIXES = [
  'CloudTrail_20131101.',
  'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.',
] as const;

/** LookupEvents and the trail's reads (docs/cloudtrail-compat.md). */
export const CLOUDTRAIL_OPERATIONS = [
  'LookupEvents',
  'DescribeTrails',
  'GetTrail',
  'ListTrails',
  'GetTrailStatus',
  'ListPublicKeys',
  'GetEventSelectors',
  'GetInsightSelectors',
] as const;

export type CloudTrailOperation = (typeof CLOUDTRAIL_OPERATIONS)[number];

const SERVED: ReadonlySet<string> = new Set(CLOUDTRAIL_OPERATIONS);

/**
 * The operation a request's X-Amz-Target names. Another CloudTrail operation (CreateTrail, StartLogging,
 * PutEventSelectors...) is UnsupportedOperation: the trail is configured by its deployment, not through the API.
 * A target outside CloudTrail's namespace is UnknownOperation, as an awsJson service answers it.
 */
export function cloudTrailOperationOf(target: string | undefined): CloudTrailOperation {
  const prefix = CLOUDTRAIL_TARGET_PREFIXES.find((candidate) => target?.startsWith(candidate));
  if (target === undefined || prefix === undefined) {
    throw new RequestError(
      'UnknownOperation',
      `X-Amz-Target ${JSON.stringify((target ?? '').slice(0, 200))} is not an operation OpenTrail serves; it serves ` +
        `${CLOUDTRAIL_TARGET_PREFIXES[0]}<Operation> for ${CLOUDTRAIL_OPERATIONS.join(', ')}`,
    );
  }
  const operation = target.slice(prefix.length);
  if (SERVED.has(operation)) return operation as CloudTrailOperation;
  throw new RequestError(
    'UnsupportedOperation',
    `${JSON.stringify(operation.slice(0, 200))} is not supported: OpenTrail serves ${CLOUDTRAIL_OPERATIONS.join(', ')}. ` +
      'A trail is configured by its deployment (docs/configuration.md, docs/selectors.md), not through CloudTrail writes.',
  );
}
