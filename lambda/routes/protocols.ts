import { type ErrorProtocol, json, jsonText } from '../adapters/http.js';

/**
 * The trail's three wire protocols and, for each, the one table that names the core's refusals (RequestErrorKind)
 * on the wire. A kind a protocol's routes cannot raise has no entry.
 */

/** OpenTrail's own API (POST /events, GET /events, GET /events/{eventId}): `{ code, message }`. */
export const NATIVE_PROTOCOL: ErrorProtocol = {
  format: ({ statusCode, code }, message) => json(statusCode, { code, message }),
  refusals: {
    InvalidRequestBody: { statusCode: 400, code: 'InvalidRequest' },
    InvalidJson: { statusCode: 400, code: 'InvalidJson' },
    RequestTooLarge: { statusCode: 400, code: 'RequestTooLarge' },
    TooManyEvents: { statusCode: 400, code: 'TooManyEvents' },
    InvalidParameter: { statusCode: 400, code: 'InvalidParameter' },
    InvalidLookupAttributes: { statusCode: 400, code: 'InvalidLookupAttributes' },
    InvalidTimeRange: { statusCode: 400, code: 'InvalidTimeRange' },
    InvalidMaxResults: { statusCode: 400, code: 'InvalidMaxResults' },
    InvalidEventCategory: { statusCode: 400, code: 'InvalidEventCategory' },
    InvalidNextToken: { statusCode: 400, code: 'InvalidNextToken' },
    EventNotFound: { statusCode: 404, code: 'EventNotFound' },
    InsightNotFound: { statusCode: 404, code: 'InsightNotFound' },
    // A route key the function's table lacks (API Gateway sends only its own routes); local mode's front says the same.
    UnknownOperation: { statusCode: 404, code: 'NotFound' },
  },
};

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/**
 * CloudTrail's API on POST / (awsJson1_1: LookupEvents and the trail's reads): `__type` in the body and the
 * `x-amzn-errortype` header, as the SDKs read them, with CloudTrail's exception names (botocore's CloudTrail model)
 * so an SDK raises the class it raises for CloudTrail. CloudTrail answers each of them 400.
 */
export const CLOUDTRAIL_PROTOCOL: ErrorProtocol = {
  format: ({ statusCode, code }, message) =>
    jsonText(statusCode, JSON.stringify({ __type: code, message }), {
      'content-type': AWS_JSON_CONTENT_TYPE,
      'x-amzn-errortype': code,
    }),
  refusals: {
    // What an awsJson service answers to a body it cannot read, and to a target it does not serve.
    InvalidRequestBody: { statusCode: 400, code: 'SerializationException' },
    InvalidJson: { statusCode: 400, code: 'SerializationException' },
    UnknownOperation: { statusCode: 400, code: 'UnknownOperationException' },
    UnsupportedOperation: { statusCode: 400, code: 'UnsupportedOperationException' },
    InvalidParameter: { statusCode: 400, code: 'InvalidParameterException' },
    InvalidParameterCombination: { statusCode: 400, code: 'InvalidParameterCombinationException' },
    InvalidLookupAttributes: { statusCode: 400, code: 'InvalidLookupAttributesException' },
    InvalidTimeRange: { statusCode: 400, code: 'InvalidTimeRangeException' },
    InvalidMaxResults: { statusCode: 400, code: 'InvalidMaxResultsException' },
    InvalidEventCategory: { statusCode: 400, code: 'InvalidEventCategoryException' },
    InvalidNextToken: { statusCode: 400, code: 'InvalidNextTokenException' },
    TrailNotFound: { statusCode: 400, code: 'TrailNotFoundException' },
    InvalidTrailName: { statusCode: 400, code: 'InvalidTrailNameException' },
    InvalidTrailArn: { statusCode: 400, code: 'CloudTrailARNInvalidException' },
    InsightNotEnabled: { statusCode: 400, code: 'InsightNotEnabledException' },
  },
};

/**
 * CloudTrail Data's PutAuditEvents (restJson1): `{ code, message }` plus the `x-amzn-errortype` header the SDKs
 * read first. Its model has one ValidationException for every malformed request.
 */
export const PUT_AUDIT_EVENTS_PROTOCOL: ErrorProtocol = {
  format: ({ statusCode, code }, message) =>
    jsonText(statusCode, JSON.stringify({ code, message }), { 'x-amzn-errortype': code }),
  refusals: {
    InvalidRequestBody: { statusCode: 400, code: 'ValidationException' },
    InvalidJson: { statusCode: 400, code: 'ValidationException' },
    RequestTooLarge: { statusCode: 400, code: 'ValidationException' },
    InvalidParameter: { statusCode: 400, code: 'ValidationException' },
    DuplicateEventId: { statusCode: 400, code: 'DuplicatedAuditEventId' },
    InvalidChannelArn: { statusCode: 400, code: 'InvalidChannelARN' },
    ChannelNotFound: { statusCode: 400, code: 'ChannelNotFound' },
    ChannelAccessDenied: { statusCode: 403, code: 'ChannelInsufficientPermission' },
  },
};
