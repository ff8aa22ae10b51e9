import type { Channel } from '../core/cloudtrail/channels.js';
import type { Settings } from '../manifest/settings.js';

/** The settings every API route reads (lambda/manifest/settings.ts); the ingest function adds the channels. */
export type TrailConfig = Settings<'region' | 'tableName' | 'retentionDays' | 'writeShards' | 'accountId'> & {
  /** The channels PutAuditEvents accepts; without them any well-formed channel ARN is accepted. */
  readonly channels?: readonly Channel[];
};
