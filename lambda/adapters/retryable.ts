/** Errors worth another attempt: throttling, service-side faults and the network. */
export function isRetryable(error: unknown): boolean {
  const candidate = error as { name?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } };
  const status = candidate.$metadata?.httpStatusCode;
  if (candidate.$retryable || (status !== undefined && status >= 500)) return true;
  return /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable|TimeoutError|ECONNRESET|ECONNREFUSED|socket hang up/i.test(
    `${candidate.name} ${(error as Error).message}`,
  );
}
