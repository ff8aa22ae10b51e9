import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { PROJECT_ROOT } from '../../local/emulator.js';

/** What the CloudTrail clients need to reach an OpenTrail API: local mode's handle has all of it. */
export interface CloudTrailTarget {
  readonly apiUrl: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * @aws-sdk/client-cloudtrail pointed at OpenTrail. `signingName: 'execute-api'` is what API Gateway's IAM
 * authorization needs in AWS (docs/cloudtrail-compat.md); local mode also takes the default, `cloudtrail`.
 */
export const cloudTrailClient = (target: CloudTrailTarget, signAs: 'execute-api' | 'cloudtrail') =>
  new CloudTrailClient({
    endpoint: target.apiUrl,
    region: target.region,
    credentials: target.credentials,
    maxAttempts: 1,
    ...(signAs === 'execute-api' ? { signingName: 'execute-api' } : {}),
  });

export interface Boto3Call {
  readonly service: 'cloudtrail' | 'cloudtrail-data';
  readonly operation: 'lookup_events' | 'put_audit_events';
  readonly params: Record<string, unknown>;
  /** Sign as execute-api through the documented before-sign handler. */
  readonly executeApi: boolean;
}

export type Boto3Result =
  | { readonly ok: true; readonly response: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly code: string;
      readonly exception: string;
      readonly status: number;
      readonly message: string;
    };

const PYTHON = join(PROJECT_ROOT, '.venv', 'bin', 'python');
const SCRIPT = join(PROJECT_ROOT, 'test', 'support', 'cloudtrail_client.py');
const BOTO3_TIMEOUT_MS = 60_000;

/** Runs the calls through boto3 (test/support/cloudtrail_client.py), one Python process for all of them. */
export const boto3Calls = (target: CloudTrailTarget, calls: readonly Boto3Call[]): Promise<Boto3Result[]> =>
  new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], timeout: BOTO3_TIMEOUT_MS });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`boto3 script exited with ${code}: ${stderr.slice(-2_000)}`));
      else resolve(JSON.parse(stdout) as Boto3Result[]);
    });
    child.stdin.end(
      JSON.stringify({
        endpoint: target.apiUrl,
        region: target.region,
        accessKeyId: target.credentials.accessKeyId,
        secretAccessKey: target.credentials.secretAccessKey,
        calls,
      }),
    );
  });
