/** Errors worth another attempt: throttling, service-side faults and the network. */
export function isRetryable(error: unknown): boolean {
  const candidate = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = candidate.$metadata?.httpStatusCode;
  if (candidate.$retryable || (status !== undefined && status >= 500)) return true;
  return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable|TimeoutError|ECONNRESET|ECONNREFUSED|socket hang up/i.test(
    `${candidate.name} ${(error as Error).message}`,
  );
}

/**
 * The SDK sent the call more than once (its own retries): only the last answer is known, and an earlier attempt
 * may have been applied.
 */
export const sentMoreThanOnce = (answer: unknown): boolean =>
  ((answer as { $metadata?: { attempts?: number } } | undefined)?.$metadata?.attempts ?? 1) > 1;

/**
 * The call certainly changed nothing: DynamoDB refused it (a 4xx answer: throttled, invalid, denied) or the
 * connection was never made, on the SDK's only attempt. A timeout, a lost connection, a 5xx, or an earlier attempt
 * of the SDK's own retries may follow a write that was applied.
 */
export function changedNothing(error: unknown): boolean {
  if (sentMoreThanOnce(error)) return false;
  const candidate = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = candidate.$metadata?.httpStatusCode;
  if (status !== undefined) return status >= 400 && status < 500;
  return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|Validation|AccessDenied|ResourceNotFound|ECONNREFUSED/i.test(
    `${candidate.name} ${(error as Error).message}`,
  );
}
