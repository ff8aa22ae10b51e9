/**
 * Where and how Firehose delivers the archive (docs/pipeline.md, "Archive format"), as plain values: the stack's
 * defaults (lib/defaults/firehose.ts), the emulator resources (lambda/adapters/pipeline-admin.ts) and local mode's
 * Firehose player (local/firehose-delivery.ts) all read them here.
 */

/** The archive bucket's top-level prefixes. */
export const ARCHIVE_PREFIXES = {
  /** Delivered events, by arrival hour (UTC). The Glue table reads this prefix. */
  events: 'events/',
  /** Records Firehose could not deliver, by error type and day. */
  errors: 'errors/',
} as const;

/** Archive object prefix: the hour of arrival of the object's oldest record, UTC. */
export const ARCHIVE_PREFIX = `${ARCHIVE_PREFIXES.events}!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/`;

/** Where Firehose puts records it could not deliver: errors/<error-type>/YYYY/MM/DD/. */
export const ARCHIVE_ERROR_OUTPUT_PREFIX = `${ARCHIVE_PREFIXES.errors}!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/`;

/** Firehose delivers after this long or this much buffered, whichever comes first: at least once a minute (DESIGN.md §6). */
export const ARCHIVE_BUFFERING = { intervalSeconds: 60, sizeMiB: 64 } as const;
