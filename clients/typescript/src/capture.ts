import { STATUS_CODES } from 'node:http';
import type { OpenTrailClient } from './client.js';
import type { ProducerEvent } from './generated/schema-types.js';

export type UserIdentity = ProducerEvent['userIdentity'];
export type Resource = NonNullable<ProducerEvent['resources']>[number];

/** What every middleware shares; `Request` is the framework's request. */
export interface CaptureOptions<Request> {
  /** Where events go: record() never throws into the app and counts what it cannot deliver. */
  readonly client: Pick<OpenTrailClient, 'record'>;
  /** Your service's name, like orders.example.com. */
  readonly eventSource: string;
  /** Who made the request, read after the app answered (so an auth middleware has run). @default anonymous */
  readonly user?: (request: Request) => UserIdentity | undefined | Promise<UserIdentity | undefined>;
  /** @default the method and the route template, like `DELETE /orders/:id` */
  readonly eventName?: (request: Request) => string;
  readonly resources?: (request: Request) => Resource[] | undefined;
  /** Record the parsed request body in requestParameters (the trail masks its redaction keys). @default false */
  readonly includeRequestBody?: boolean;
}

/** One request as the middleware saw it, in framework-neutral terms. */
export interface CapturedRequest {
  readonly method: string;
  /** The route template (`/orders/:id`), or the path when no route matched. */
  readonly route: string;
  readonly path: string;
  readonly startedAt: Date;
  readonly status: number;
  readonly sourceIPAddress?: string | undefined;
  readonly userAgent?: string | undefined;
  readonly requestID?: string | undefined;
  readonly params?: Readonly<Record<string, unknown>> | undefined;
  readonly query?: Readonly<Record<string, unknown>> | undefined;
  readonly body?: unknown;
  /** What the handler threw, if it did. */
  readonly error?: unknown;
}

const ANONYMOUS: UserIdentity = { type: 'Anonymous', principalId: 'anonymous' };
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** The trail refuses short text fields over 1 KB: a long header must not cost the whole event. */
const SHORT_FIELD_BYTES = 1024;

/** Stable error codes for error statuses, named as AWS APIs name them. */
const STATUS_ERROR_CODES: Readonly<Record<number, string>> = {
  400: 'ValidationException',
  401: 'UnauthorizedException',
  403: 'AccessDenied',
  404: 'ResourceNotFoundException',
  409: 'ConflictException',
  429: 'ThrottlingException',
  500: 'InternalFailure',
  503: 'ServiceUnavailable',
};

const clip = (text: string | undefined): string | undefined => {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= SHORT_FIELD_BYTES) return text;
  // Cut on a character boundary: decoding a cut multi-byte sequence would add a replacement character.
  let end = SHORT_FIELD_BYTES;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
};

const nonEmpty = (value: Readonly<Record<string, unknown>> | undefined) =>
  value !== undefined && Object.keys(value).length > 0 ? value : undefined;

/** The error fields: from what was thrown (its code or name, its message), else from an error status. */
function errorFields(captured: CapturedRequest): Pick<ProducerEvent, 'errorCode' | 'errorMessage'> {
  const { error, status } = captured;
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : error.name;
    return { errorCode: clip(code), errorMessage: clip(error.message) };
  }
  if (error !== undefined) return { errorCode: 'Error', errorMessage: clip(String(error)) };
  if (status < 400) return {};
  return { errorCode: STATUS_ERROR_CODES[status] ?? `Http${status}`, errorMessage: STATUS_CODES[status] };
}

/** Builds the event for one request and hands it to the client without waiting. */
export function recordRequest<Request>(
  options: CaptureOptions<Request>,
  request: Request,
  captured: CapturedRequest,
): void {
  options.client.record(async () => {
    const requestParameters = {
      ...captured.params,
      ...(nonEmpty(captured.query) === undefined ? {} : { query: captured.query }),
      ...(options.includeRequestBody === true && captured.body !== undefined ? { body: captured.body } : {}),
    };
    const event: ProducerEvent = {
      eventSource: options.eventSource,
      eventName: options.eventName?.(request) ?? `${captured.method} ${captured.route}`,
      eventTime: captured.startedAt.toISOString(),
      userIdentity: (await options.user?.(request)) ?? ANONYMOUS,
      readOnly: READ_METHODS.has(captured.method),
      requestParameters: nonEmpty(requestParameters) ?? null,
      additionalEventData: {
        httpMethod: captured.method,
        path: clip(captured.path),
        statusCode: captured.status,
      },
      ...errorFields(captured),
    };
    const resources = options.resources?.(request);
    // Optional fields are left out rather than sent as undefined, so the JSON carries only what is known.
    for (const [name, value] of [
      ['sourceIPAddress', clip(captured.sourceIPAddress)],
      ['userAgent', clip(captured.userAgent)],
      ['requestID', clip(captured.requestID)],
    ] as const) {
      if (value !== undefined && value !== '') event[name] = value;
    }
    if (resources !== undefined && resources.length > 0) event.resources = resources;
    return event;
  });
}
