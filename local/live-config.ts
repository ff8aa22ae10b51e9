import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceEndpoints } from '../lambda/functions/runtime.js';
import { PROJECT_ROOT } from './emulator.js';

/**
 * Finds the local mode `npm start` is running, from the file it writes (.opentrail/local.json), so the demo (and a
 * CLI) use it instead of starting a second one.
 */

export const LOCAL_CONFIG_FILE = join(PROJECT_ROOT, '.opentrail', 'local.json');

/** How long the API may take to answer before the local mode counts as gone. */
const PROBE_TIMEOUT_MS = 1_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export interface LocalCredentialPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What `npm start` writes to .opentrail/local.json (local/main.ts); fields a reader does not need are left out. */
export interface LocalModeConfig {
  readonly apiUrl: string;
  readonly region?: string;
  readonly awsEndpoint?: string;
  readonly credentials?: LocalCredentialPair;
  readonly bucketName?: string;
  readonly logGroupName?: string;
  /** The trail's CloudTrail-style ARN (docs/integrity.md): DescribeTrails' TrailARN, validate-logs' --trail-arn. */
  readonly trailArn?: string;
  readonly trailName?: string;
  /** The bucket of the signed digests: DescribeTrails' S3BucketName. */
  readonly digestBucketName?: string;
  /** The emulator's S3 endpoint, path-style: the archive and the digests. */
  readonly s3Endpoint?: string;
  /** Services with an endpoint of their own: the tables and their stream, local mode's Firehose. */
  readonly serviceEndpoints?: ServiceEndpoints;
}

/** The file's contents when it holds an apiUrl, else undefined (no file, unreadable, not JSON). */
export async function readLocalConfig(file = LOCAL_CONFIG_FILE): Promise<LocalModeConfig | undefined> {
  const parsed: unknown = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text))
    .catch(() => undefined);
  if (typeof parsed !== 'object' || parsed === null || !('apiUrl' in parsed)) return undefined;
  return typeof parsed.apiUrl === 'string' ? (parsed as LocalModeConfig) : undefined;
}

/** Whether `url` is a loopback http(s) URL: the only kind of address this module sends a request to. */
function isLoopback(url: string): boolean {
  try {
    const { protocol, hostname } = new URL(url);
    return (protocol === 'http:' || protocol === 'https:') && LOOPBACK_HOSTS.has(hostname);
  } catch {
    return false;
  }
}

/**
 * The local mode the file describes, if its API answers on loopback within `timeoutMs` (any HTTP status counts:
 * unsigned requests are refused, but something is listening); undefined when there is none or it is gone.
 */
export async function findLiveLocalMode(
  options: { readonly file?: string; readonly timeoutMs?: number } = {},
): Promise<LocalModeConfig | undefined> {
  const config = await readLocalConfig(options.file);
  if (config === undefined || !isLoopback(config.apiUrl)) return undefined;
  const signal = AbortSignal.timeout(options.timeoutMs ?? PROBE_TIMEOUT_MS);
  try {
    const response = await fetch(config.apiUrl, { signal });
    await response.body?.cancel();
    return config;
  } catch {
    return undefined;
  }
}
