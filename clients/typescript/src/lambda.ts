import { type CaptureOptions, recordRequest } from './capture.js';
import type { OpenTrailClient } from './client.js';

export type { CaptureOptions, Resource, UserIdentity } from './capture.js';

/**
 * The parts of API Gateway's proxy events (HTTP API payload 2.0 and REST/payload 1.0) the middleware reads.
 * Declared here so the package needs no @types/aws-lambda at run time.
 */
export interface ApiGatewayEvent {
  readonly rawPath?: string;
  readonly routeKey?: string;
  readonly path?: string;
  readonly resource?: string;
  readonly httpMethod?: string;
  readonly headers?: Readonly<Record<string, string | undefined>> | null;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly queryStringParameters?: Readonly<Record<string, string | undefined>> | null;
  readonly body?: string | null;
  readonly requestContext?: {
    readonly requestId?: string;
    readonly http?: { readonly method?: string; readonly sourceIp?: string; readonly userAgent?: string };
    readonly identity?: { readonly sourceIp?: string; readonly userAgent?: string };
  };
}

export interface LambdaCaptureOptions extends CaptureOptions<ApiGatewayEvent> {
  readonly client: Pick<OpenTrailClient, 'record' | 'flush'>;
  /**
   * Flush before the invocation returns. Lambda freezes the process once the handler returns, so a batch still
   * lingering would wait for the next invocation (or be lost with the environment). @default true
   */
  readonly flush?: boolean;
}

/** The middleware shape Middy runs (before, after, onError); the request is Middy's. */
export interface MiddyRequest<Result = unknown> {
  readonly event: ApiGatewayEvent;
  response?: Result;
  error?: unknown;
}

const header = (event: ApiGatewayEvent, name: string) =>
  Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

const statusOf = (response: unknown): number => {
  if (typeof response === 'object' && response !== null && 'statusCode' in response) {
    return typeof response.statusCode === 'number' ? response.statusCode : 200;
  }
  return 200;
};

const parsedBody = (body: string | null | undefined): unknown => {
  if (body === undefined || body === null) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
};

/** Records one invocation; sourceIPAddress is API Gateway's view of the caller. */
async function recordInvocation(
  options: LambdaCaptureOptions,
  event: ApiGatewayEvent,
  startedAt: Date,
  outcome: { readonly response?: unknown; readonly error?: unknown },
): Promise<void> {
  const method = event.requestContext?.http?.method ?? event.httpMethod ?? 'GET';
  const path = event.rawPath ?? event.path ?? '/';
  const route = event.routeKey?.replace(/^\S+\s+/, '') ?? event.resource ?? path;
  recordRequest(options, event, {
    method,
    route,
    path,
    startedAt,
    status: outcome.error === undefined ? statusOf(outcome.response) : 500,
    sourceIPAddress: event.requestContext?.http?.sourceIp ?? event.requestContext?.identity?.sourceIp,
    userAgent: header(event, 'user-agent') ?? event.requestContext?.http?.userAgent,
    requestID: event.requestContext?.requestId,
    params: event.pathParameters ?? undefined,
    query: event.queryStringParameters ?? undefined,
    body: options.includeRequestBody === true ? parsedBody(event.body) : undefined,
    error: outcome.error,
  });
  // A failed flush is the client's to count (its puts reject into record()'s drop counter), never the handler's.
  if (options.flush !== false) await options.client.flush().catch(() => undefined);
}

/** A Middy middleware: `middy(handler).use(openTrailLambda({ client, eventSource }))`. */
export function openTrailLambda(options: LambdaCaptureOptions) {
  const started = new WeakMap<MiddyRequest, Date>();
  const startedAt = (request: MiddyRequest) => started.get(request) ?? new Date();
  return {
    before: (request: MiddyRequest): void => {
      started.set(request, new Date());
    },
    after: (request: MiddyRequest): Promise<void> =>
      recordInvocation(options, request.event, startedAt(request), { response: request.response }),
    onError: (request: MiddyRequest): Promise<void> =>
      recordInvocation(options, request.event, startedAt(request), { error: request.error }),
  };
}

/** Wraps a plain handler: `export const handler = withOpenTrail(myHandler, { client, eventSource })`. */
export function withOpenTrail<Event extends ApiGatewayEvent, Context, Result>(
  handler: (event: Event, context: Context) => Promise<Result>,
  options: LambdaCaptureOptions,
): (event: Event, context: Context) => Promise<Result> {
  return async (event, context) => {
    const startedAt = new Date();
    try {
      const response = await handler(event, context);
      await recordInvocation(options, event, startedAt, { response });
      return response;
    } catch (error) {
      await recordInvocation(options, event, startedAt, { error });
      throw error;
    }
  };
}
