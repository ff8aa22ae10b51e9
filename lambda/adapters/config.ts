import type { Channel } from '../core/cloudtrail/channels.js';
import type { API_SETTINGS } from '../manifest/functions.js';
import type { Settings } from '../manifest/settings.js';

/** The settings every API route reads (lambda/manifest/settings.ts); the ingest function adds the channels. */
export type TrailConfig = Settings<(typeof API_SETTINGS)[number]> & {
  /** The channels PutAuditEvents accepts; without them any well-formed channel ARN is accepted. */
  readonly channels?: readonly Channel[];
};
