import { RequestError } from '../errors.js';

/**
 * Reading CloudTrail's awsJson1_1 requests: the body as one JSON object and its members by their model types.
 * Every CloudTrail operation OpenTrail serves parses its members through these, so a member of the wrong JSON type
 * gets one answer (SerializationException, as an awsJson service gives it) whatever the operation.
 */

export const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A member of the wrong JSON type: the SDKs never send one, so it is a hand-made request. */
export const wrongType = (member: string, expected: string) =>
  new RequestError('InvalidRequestBody', `${member} must be ${expected}`);

/** Parses the body text; an empty body is an empty request, as the AWS CLI never sends but curl may. */
export function parseJsonBody(body: string | undefined): Record<string, unknown> {
  if (body === undefined || body.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new RequestError('InvalidJson', `the request body is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed)) throw wrongType('the request body', 'a JSON object');
  return parsed;
}

export function optionalString(member: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw wrongType(member, 'a string');
  return value;
}

export function optionalBoolean(member: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw wrongType(member, 'true or false');
  return value;
}

/** The last instant a JavaScript Date (and so an ISO time) can hold. */
const MAX_TIME_MS = 8.64e15;

/**
 * A timestamp member in milliseconds: epoch seconds, possibly fractional, as the SDKs serialise timestamps in
 * awsJson. One a Date cannot hold is refused as CloudTrail refuses times "outside the range of possible values".
 */
export function parseEpochSeconds(member: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value * 1000) > MAX_TIME_MS) {
    throw new RequestError('InvalidTimeRange', `${member} must be a time in epoch seconds`);
  }
  return Math.round(value * 1000);
}

/** A time as awsJson answers timestamps: epoch seconds, which the SDKs parse into dates. */
export const epochSeconds = (ms: number): number => ms / 1000;
