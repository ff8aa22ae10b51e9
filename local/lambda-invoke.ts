import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/**
 * What the Lambda service does around every invocation, shared by the HTTP front and the stream pollers: a
 * context like the runtime's, and a function timeout.
 */

/** Lambda's own default memory, for a function whose size is not given. */
const DEFAULT_MEMORY_MB = 128;

/**
 * Lambda's synchronous invocation payload quota, "6 MB" for the request and the response alike (Lambda quotas;
 * Invoke API). Lambda refuses a request "must be smaller than 6291456 bytes" and names 6,291,556 bytes in its
 * response error (Function.ResponseSizeTooLarge): one limit for both keeps local mode the stricter side.
 */
export const LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Whether a value, serialised as JSON the way Lambda carries it, fits the synchronous payload limit. */
export const fitsSyncPayload = (value: unknown): boolean =>
  Buffer.byteLength(JSON.stringify(value) ?? '') < LAMBDA_SYNC_PAYLOAD_LIMIT_BYTES;

export const functionArn = (region: string, accountId: string, functionName: string): string =>
  `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;

export const createLambdaContext = (
  functionName: string,
  region: string,
  accountId: string,
  timeoutMs: number,
  /** The function's memory as the manifest sizes it: the context's memoryLimitInMB. */
  memoryMb: number = DEFAULT_MEMORY_MB,
): Context => {
  const deadline = Date.now() + timeoutMs;
  const callbackStyle = () => {
    throw new Error('Callback-style completion is not supported in local mode; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: functionArn(region, accountId, functionName),
    memoryLimitInMB: String(memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]local`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: callbackStyle,
    fail: callbackStyle,
    succeed: callbackStyle,
  };
};

export type InvocationOutcome<R> =
  | { readonly kind: 'result'; readonly result: R }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout' };

/**
 * Runs a handler like the Lambda service does: a thrown error or a rejected promise is a function error, and
 * no answer within the timeout is a timeout. A timed-out handler keeps running in this process (Lambda would
 * stop its sandbox); its late result is ignored.
 */
export const invokeWithTimeout = async <E, R>(
  handler: (event: E, context: Context) => Promise<R>,
  event: E,
  context: Context,
  timeoutMs: number,
): Promise<InvocationOutcome<R>> => {
  const invocation = Promise.resolve()
    .then(() => handler(event, context))
    .then(
      (result): InvocationOutcome<R> => ({ kind: 'result', result }),
      (error: unknown): InvocationOutcome<R> => ({ kind: 'error', error }),
    );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvocationOutcome<R>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
  });
  try {
    return await Promise.race([invocation, timedOut]);
  } finally {
    clearTimeout(timer);
  }
};

export const describeError = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
