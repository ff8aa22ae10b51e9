import { readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { OpenTrailError } from './errors.js';
import type { Credentials } from './transport.js';

/** What local mode (`npm start`) writes to .opentrail/local.json that a client needs. */
export interface LocalModeFile {
  readonly apiUrl: string;
  readonly region: string;
  /** May only put (the producer side). */
  readonly producerCredentials: Credentials;
  /** May only look up (the reader side). */
  readonly readerCredentials: Credentials;
  /** The emulator's endpoint, and its pair (it accepts any). */
  readonly awsEndpoint?: string;
  readonly credentials?: Credentials;
  /** The emulator's S3, path-style, where the archive and the digests are (docs/integrity.md). */
  readonly s3Endpoint?: string;
  /** The archive bucket (objects under events/). */
  readonly bucketName?: string;
  /** The trail's CloudTrail-style ARN, for `opentrail validate` and `aws cloudtrail validate-logs`. */
  readonly trailArn?: string;
  /** Seconds between digests (OPENTRAIL_DIGEST_INTERVAL_SECONDS). */
  readonly digestIntervalSeconds?: number;
}

export const LOCAL_FILE = join('.opentrail', 'local.json');

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** The nearest .opentrail/local.json in `from` or a folder above it, as a project's scripts would find it. */
export async function findLocalFile(from = process.cwd()): Promise<string | undefined> {
  for (let folder = resolve(from); ; folder = dirname(folder)) {
    const candidate = join(folder, LOCAL_FILE);
    if (await exists(candidate)) return candidate;
    if (dirname(folder) === folder) return undefined;
  }
}

const isPair = (value: unknown): value is Credentials =>
  typeof value === 'object' &&
  value !== null &&
  'accessKeyId' in value &&
  typeof value.accessKeyId === 'string' &&
  'secretAccessKey' in value &&
  typeof value.secretAccessKey === 'string';

/** Reads and checks a local mode file; the error names the file and what is missing. */
export async function readLocalFile(path: string): Promise<LocalModeFile> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new OpenTrailError('InvalidLocalFile', `cannot read ${path}: ${(error as Error).message}`);
  }
  const file = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const missing = [
    typeof file.apiUrl === 'string' ? undefined : 'apiUrl',
    typeof file.region === 'string' ? undefined : 'region',
    isPair(file.producerCredentials) ? undefined : 'producerCredentials',
    isPair(file.readerCredentials) ? undefined : 'readerCredentials',
  ].filter((name) => name !== undefined);
  if (missing.length > 0) {
    throw new OpenTrailError(
      'InvalidLocalFile',
      `${path} lacks ${missing.join(', ')}: is it local mode's file?`,
    );
  }
  return file as unknown as LocalModeFile;
}
