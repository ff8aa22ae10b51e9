export {
  type ClientStats,
  type LookupFilters,
  type LookupPage,
  OpenTrailClient,
  type OpenTrailClientOptions,
  type PutResult,
} from './client.js';
export { ClientClosedError, EventRejectedError, OpenTrailError, QueueFullError } from './errors.js';
export type { ProducerEvent, TrailRecord } from './generated/schema-types.js';
export { findLocalFile, type LocalModeFile, readLocalFile } from './local-config.js';
export type { BatchLimits, QueueLimits } from './queue.js';
export type { RetryOptions } from './retry.js';
export type {
  Credentials,
  CredentialsProvider,
  Transport,
  TransportRequest,
  TransportResponse,
} from './transport.js';
export { schemaProblems } from './validate.js';
