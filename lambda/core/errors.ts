/**
 * What a request got wrong, in the trail's own terms. Each protocol names these on the wire, with a status, in
 * one table at the edge (lambda/routes/protocols.ts); the core knows neither.
 */
export type RequestErrorKind =
  /** The body is missing, not UTF-8, or not the shape the operation takes. */
  | 'InvalidRequestBody'
  | 'InvalidJson'
  | 'RequestTooLarge'
  | 'TooManyEvents'
  /** A query parameter that does not exist or is malformed. */
  | 'InvalidParameter'
  | 'InvalidLookupAttributes'
  | 'InvalidTimeRange'
  | 'InvalidMaxResults'
  | 'InvalidEventCategory'
  | 'InvalidNextToken'
  | 'EventNotFound'
  /** No insight with the sharedEventID asked for (GET /insights/{sharedEventID}/series). */
  | 'InsightNotFound'
  /** The request names an operation this API does not serve. */
  | 'UnknownOperation'
  | 'InvalidChannelArn'
  | 'ChannelNotFound'
  /** The caller is not among the principals the channel admits. */
  | 'ChannelAccessDenied'
  /** Two events of one request carry the same producer id. */
  | 'DuplicateEventId'
  /** CloudTrail's control-plane reads (docs/cloudtrail-compat.md): no trail by that name or ARN. */
  | 'TrailNotFound'
  /** A trail name that breaks CloudTrail's naming rules. */
  | 'InvalidTrailName'
  /** Text that starts like an ARN but is not a trail ARN. */
  | 'InvalidTrailArn'
  /** GetInsightSelectors on a trail whose insights are off. */
  | 'InsightNotEnabled'
  /** Parameters that may not be given together, or of which one is required. */
  | 'InvalidParameterCombination'
  /** An operation of the API that OpenTrail does not serve, such as a CloudTrail write. */
  | 'UnsupportedOperation';

/**
 * A refused request. Per-event problems are not errors; they are reported in the response's `failed` list.
 */
export class RequestError extends Error {
  override readonly name = 'RequestError';
  constructor(
    readonly kind: RequestErrorKind,
    message: string,
  ) {
    super(message);
  }
}
