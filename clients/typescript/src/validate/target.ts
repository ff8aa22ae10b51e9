import { readFile } from 'node:fs/promises';
import { OpenTrailError } from '../errors.js';
import { parseTrailArn } from '../generated/integrity/digest-file.js';
import { readLocalFile } from '../local-config.js';
import type { Credentials } from '../transport.js';

/** Which trail to validate and how to reach it: from local mode's file or from a deployed stack's outputs. */
export interface ValidateTarget {
  readonly apiUrl: string;
  readonly region: string;
  readonly trailArn: string;
  readonly archiveBucket: string;
  /** Local mode's S3 (the emulator, path-style); undefined is AWS's. */
  readonly s3Endpoint?: string;
  /** Undefined: the AWS SDK's default chain (or --profile). */
  readonly apiCredentials?: Credentials;
  readonly s3Credentials?: Credentials;
  /** The digester's schedule, when the source says it. */
  readonly digestIntervalSeconds?: number;
}

const invalid = (path: string, message: string) => new OpenTrailError('InvalidConfig', `${path}: ${message}`);

/** Local mode: the API with the reader pair, the emulator's S3 with its own pair. */
export async function targetFromLocalFile(path: string): Promise<ValidateTarget> {
  const local = await readLocalFile(path);
  const { trailArn, bucketName } = local;
  const s3Endpoint = local.s3Endpoint ?? local.awsEndpoint;
  if (trailArn === undefined || bucketName === undefined || s3Endpoint === undefined) {
    const missing = Object.entries({ trailArn, bucketName, s3Endpoint })
      .filter(([, value]) => value === undefined)
      .map(([field]) => field);
    throw invalid(path, `lacks ${missing.join(', ')}: is it the file of a local mode with integrity?`);
  }
  return {
    apiUrl: local.apiUrl,
    region: local.region,
    trailArn,
    archiveBucket: bucketName,
    s3Endpoint,
    apiCredentials: local.readerCredentials,
    s3Credentials: local.credentials ?? local.readerCredentials,
    digestIntervalSeconds: local.digestIntervalSeconds,
  };
}

/** The stack's outputs that name the trail (`cdk deploy --outputs-file`). */
const STACK_OUTPUTS = { apiUrl: 'ApiUrl', trailArn: 'TrailArn', archiveBucket: 'ArchiveBucketName' } as const;

/**
 * A deployed trail: `cdk deploy --outputs-file` writes `{ "<stack>": { "<output>": "<value>" } }`; the stack
 * with a TrailArn output is the trail's. Credentials and S3 are the caller's own (the default chain).
 */
export async function targetFromStackOutputs(path: string): Promise<ValidateTarget> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw invalid(path, `cannot read the stack outputs: ${(error as Error).message}`);
  }
  const stacks = Object.entries(typeof parsed === 'object' && parsed !== null ? parsed : {}).filter(
    (entry): entry is [string, Record<string, unknown>] =>
      typeof entry[1] === 'object' && entry[1] !== null && STACK_OUTPUTS.trailArn in entry[1],
  );
  const [stack, ...others] = stacks;
  if (stack === undefined) throw invalid(path, `no stack has a ${STACK_OUTPUTS.trailArn} output`);
  if (others.length > 0) {
    throw invalid(
      path,
      `several stacks have a ${STACK_OUTPUTS.trailArn}: ${stacks.map(([name]) => name).join(', ')}`,
    );
  }
  const [name, outputs] = stack;
  const text = (output: string) => {
    const value = outputs[output];
    if (typeof value !== 'string') throw invalid(path, `stack ${name} has no ${output} output`);
    return value;
  };
  const trailArn = text(STACK_OUTPUTS.trailArn);
  let region: string;
  try {
    ({ region } = parseTrailArn(trailArn));
  } catch {
    throw invalid(path, `${trailArn} is not a trail ARN`);
  }
  return {
    apiUrl: text(STACK_OUTPUTS.apiUrl),
    region,
    trailArn,
    archiveBucket: text(STACK_OUTPUTS.archiveBucket),
  };
}
