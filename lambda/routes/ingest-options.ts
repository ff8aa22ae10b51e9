import type { TrailConfig } from '../adapters/config.js';
import type { HttpEvent } from '../adapters/http.js';
import type { IngestOptions, IngestPolicy } from '../core/ingest.js';

/**
 * What every put route tells ingest about a request: one place, so POST /events and POST /PutAuditEvents record
 * the same receipt time, region, account and producer, and apply the same trail policy.
 */
export function requestIngestOptions(
  config: TrailConfig,
  event: HttpEvent,
  receivedAtMs: number,
  policy: IngestPolicy,
): IngestOptions {
  const producerArn = event.requestContext.authorizer?.iam?.userArn;
  return {
    receivedAtMs,
    defaultRegion: config.region,
    defaultAccountId: trailAccountId(config, event),
    retentionDays: config.retentionDays,
    writeShards: config.writeShards,
    policy,
    ...(producerArn ? { producerArn } : {}),
  };
}

/** The account the trail records for: the configured one, or the API's own. */
function trailAccountId(config: TrailConfig, event: HttpEvent): string {
  return config.accountId ?? event.requestContext.accountId;
}
