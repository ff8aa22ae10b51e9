import type { Logger } from '@aws-lambda-powertools/logger';
import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { RequestError, type RequestErrorKind } from '../core/errors.js';
import { StoreUnavailableError } from '../core/ports.js';
import { logger as sharedLogger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2WithIAMAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;
/**
 * One route's work: it answers, or throws a RequestError for its protocol to name. `signal` aborts when the request
 * is over (answered, or out of time): work still going on for it must stop.
 */
/** What a route gets with each request: the signal that ends its work, and a logger carrying the request's keys. */
export interface RouteRequest {
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export type Route = (event: HttpEvent, request: RouteRequest) => Promise<HttpResult>;

const JSON_HEADERS = { 'content-type': 'application/json' };
const RETRY_AFTER_SECONDS = '1';

export function jsonText(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body };
}

export function json(statusCode: number, body: unknown): HttpResult {
  return jsonText(statusCode, JSON.stringify(body));
}

/** An error as a client sees it: the HTTP status and the protocol's code. */
export interface WireError {
  readonly statusCode: number;
  readonly code: string;
}

/** How one protocol answers errors: the shape it writes, and the wire name and status of each refusal. */
export interface ErrorProtocol {
  readonly format: (error: WireError, message: string) => HttpResult;
  /** A kind without an entry cannot arise on this protocol's routes; if one does, it is answered as a bug (500). */
  readonly refusals: Readonly<Partial<Record<RequestErrorKind, WireError>>>;
}

// Failures of the function rather than refusals of the request: every protocol names them alike.
const UNAVAILABLE: WireError = { statusCode: 503, code: 'ServiceUnavailable' };
const INTERNAL: WireError = { statusCode: 500, code: 'InternalError' };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** The request body as text; a body that is not UTF-8 is refused rather than silently repaired. */
export function bodyText(event: HttpEvent): string | undefined {
  if (event.body === undefined || !event.isBase64Encoded) return event.body;
  try {
    return strictUtf8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw new RequestError('InvalidRequestBody', 'the request body is not valid UTF-8');
  }
}

/**
 * Kept back from the function's timeout. A function that times out gives the caller API Gateway's bare 500; a
 * request that runs out of time answers 503 with Retry-After instead, like a store that stays unavailable.
 */
export const DEADLINE_MARGIN_MS = 1_000;

/**
 * `work`, or StoreUnavailableError when the function's remaining time (less the margin) runs out first; then
 * `request` aborts too, so the work's store calls stop instead of queueing in the shared client for the next request.
 */
function beforeDeadline<T>(work: Promise<T>, context: Context, request: AbortController): Promise<T> {
  const remainingMs = context.getRemainingTimeInMillis?.();
  if (remainingMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => {
        const late = new StoreUnavailableError('the request ran out of time before the store answered');
        request.abort(late);
        reject(late);
      },
      Math.max(0, remainingMs - DEADLINE_MARGIN_MS),
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface HttpHandlerOptions {
  /** How errors are answered. */
  readonly protocol: ErrorProtocol;
  /**
   * Off for writes: a 503 while the writes go on would invite a retry that duplicates events without ids.
   * The write path bounds itself instead (DynamoDbEventStore callTimeoutMs and writeBudgetMs).
   * @default true
   */
  readonly answerBeforeTimeout?: boolean;
  /** @default the function's shared logger (lambda/adapters/logger.ts) */
  readonly logger?: Logger;
}

/**
 * Wraps a route: refusals get their protocol's status and code; a store that stays unavailable, or a request
 * about to outlive the function's timeout, becomes 503 with Retry-After; anything else is a 500 that never shows
 * internals to the caller.
 */
export function httpHandler(
  route: Route,
  { protocol, answerBeforeTimeout = true, logger = sharedLogger }: HttpHandlerOptions,
): HttpHandler {
  // Request loggers not in use. A child logger costs about 90 µs to build (options merged, a Console made), so one
  // serves request after request, its keys reset in between; there are as many as requests ever ran at once (local
  // mode runs concurrent requests through one function's handler).
  const idleLoggers: Logger[] = [];
  return async (event, context) => {
    const requestLogger = idleLoggers.pop() ?? logger.createChild();
    requestLogger.appendKeys({ requestId: event.requestContext?.requestId, routeKey: event.routeKey });
    requestLogger.addContext(context);
    const release = (): void => {
      requestLogger.resetKeys();
      idleLoggers.push(requestLogger);
    };
    // Made on first use: most puts never read their signal, and an AbortController costs an EventTarget and, on
    // abort, a DOMException with its stack.
    let request: AbortController | undefined;
    const controller = (): AbortController => {
      request ??= new AbortController();
      return request;
    };
    let work: Promise<HttpResult> | undefined;
    let settled = false;
    try {
      const routeRequest: RouteRequest = {
        get signal() {
          return controller().signal;
        },
        logger: requestLogger,
      };
      work = route(event, routeRequest).finally(() => {
        settled = true;
      });
      return await (answerBeforeTimeout ? beforeDeadline(work, context, controller()) : work);
    } catch (error) {
      const refusal = error instanceof RequestError ? protocol.refusals[error.kind] : undefined;
      if (refusal !== undefined) {
        requestLogger.info('request refused', { code: refusal.code, statusCode: refusal.statusCode });
        return protocol.format(refusal, (error as Error).message);
      }
      if (error instanceof StoreUnavailableError) {
        requestLogger.warn('event store unavailable', { error: error.message });
        const busy = protocol.format(UNAVAILABLE, 'the event store is busy; retry after a moment');
        return { ...busy, headers: { ...busy.headers, 'retry-after': RETRY_AFTER_SECONDS } };
      }
      requestLogger.error('unexpected failure', error as Error);
      return protocol.format(INTERNAL, 'internal error; the request id identifies it in our logs');
    } finally {
      request?.abort();
      // Work answered by the deadline may still log: its logger serves another request only once the work is over.
      if (settled || work === undefined) release();
      else work.then(release, release);
    }
  };
}
