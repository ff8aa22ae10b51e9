import type {
  APIGatewayProxyEventV2WithIAMAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { badRequest, RequestError } from '../core/errors.js';
import { StoreUnavailableError } from '../core/ports.js';
import { logger } from './logger.js';

export type HttpEvent = APIGatewayProxyEventV2WithIAMAuthorizer;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

const JSON_HEADERS = { 'content-type': 'application/json' };
const RETRY_AFTER_SECONDS = '1';

export function jsonText(statusCode: number, body: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body };
}

export function json(statusCode: number, body: unknown): HttpResult {
  return jsonText(statusCode, JSON.stringify(body));
}

export function errorResult(statusCode: number, code: string, message: string): HttpResult {
  return json(statusCode, { code, message });
}

/** How a route writes an error: OpenTrail's `{ code, message }` by default, or a wire protocol's own shape. */
export type ErrorFormat = (statusCode: number, code: string, message: string) => HttpResult;

export const AWS_JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';

/** AWS JSON 1.1 (CloudTrail): `__type` in the body and the `x-amzn-errortype` header, as the SDKs read them. */
export const awsJsonErrorResult: ErrorFormat = (statusCode, code, message) =>
  jsonText(statusCode, JSON.stringify({ __type: code, message }), {
    'content-type': AWS_JSON_CONTENT_TYPE,
    'x-amzn-errortype': code,
  });

/** REST JSON (CloudTrail Data): `{ code, message }` plus the `x-amzn-errortype` header the SDKs read first. */
export const restJsonErrorResult: ErrorFormat = (statusCode, code, message) =>
  jsonText(statusCode, JSON.stringify({ code, message }), { 'x-amzn-errortype': code });

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The request body as text; a body that is not UTF-8 is refused rather than silently repaired, with the error
 * code of the route's protocol (OpenTrail's own by default).
 */
export function bodyText(event: HttpEvent, errorCode = 'InvalidRequest'): string | undefined {
  if (event.body === undefined || !event.isBase64Encoded) return event.body;
  try {
    return strictUtf8.decode(Buffer.from(event.body, 'base64'));
  } catch {
    throw badRequest(errorCode, 'the request body is not valid UTF-8');
  }
}

/**
 * Kept back from the function's timeout. A function that times out gives the caller API Gateway's bare 500; a
 * request that runs out of time answers 503 with Retry-After instead, like a store that stays unavailable.
 */
export const DEADLINE_MARGIN_MS = 1_000;

/** `work`, or StoreUnavailableError when the function's remaining time (less the margin) runs out first. */
function beforeDeadline<T>(work: Promise<T>, context: Context): Promise<T> {
  const remainingMs = context.getRemainingTimeInMillis?.();
  if (remainingMs === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailableError('the request ran out of time before the store answered')),
      Math.max(0, remainingMs - DEADLINE_MARGIN_MS),
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Wraps a route: known errors become `{ code, message }` with their status; a store that stays unavailable, or
 * a request about to outlive the function's timeout, becomes 503 with Retry-After; anything else is a 500 that
 * never shows internals to the caller.
 */
export function httpHandler(
  route: (event: HttpEvent) => Promise<HttpResult>,
  formatError: ErrorFormat = errorResult,
  {
    // Off for writes: a 503 while the writes go on would invite a retry that duplicates events without ids.
    // The write path bounds itself instead (DynamoDbEventStore callTimeoutMs and writeBudgetMs).
    answerBeforeTimeout = true,
  }: { readonly answerBeforeTimeout?: boolean } = {},
): HttpHandler {
  return async (event, context) => {
    logger.addContext(context);
    logger.appendKeys({ requestId: event.requestContext?.requestId, routeKey: event.routeKey });
    try {
      return await (answerBeforeTimeout ? beforeDeadline(route(event), context) : route(event));
    } catch (error) {
      if (error instanceof RequestError) {
        logger.info('request refused', { code: error.code, statusCode: error.statusCode });
        return formatError(error.statusCode, error.code, error.message);
      }
      if (error instanceof StoreUnavailableError) {
        logger.warn('event store unavailable', { error: error.message });
        const busy = formatError(503, 'ServiceUnavailable', 'the event store is busy; retry after a moment');
        return { ...busy, headers: { ...busy.headers, 'retry-after': RETRY_AFTER_SECONDS } };
      }
      logger.error('unexpected failure', error as Error);
      return formatError(500, 'InternalError', 'internal error; the request id identifies it in our logs');
    } finally {
      logger.resetKeys();
    }
  };
}
