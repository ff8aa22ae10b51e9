import { OpenTrailError } from '../errors.js';
import {
  type Credentials,
  type CredentialsProvider,
  createSigner,
  fetchTransport,
  type Transport,
} from '../transport.js';
import type { PublicKey, TrailControlPlane, TrailDescription, TrailStatus } from './ports.js';

/**
 * CloudTrail's control-plane reads on OpenTrail's API (`POST /`, awsJson1_1, X-Amz-Target), signed as the client
 * signs every call: SigV4, service execute-api. Answers are CloudTrail's shapes; times are epoch seconds.
 */

const TARGET_PREFIX = 'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.';
const AWS_JSON = 'application/x-amz-json-1.1';
const TIMEOUT_MS = 30_000;

export interface ControlPlaneOptions {
  /** The API's URL (the stack's ApiUrl, local mode's apiUrl). */
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: Credentials | CredentialsProvider;
  /** @default fetch */
  readonly transport?: Transport;
}

type Answer = Record<string, unknown>;

const isRecord = (value: unknown): value is Answer =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalDate = (value: unknown): Date | undefined =>
  typeof value === 'number' ? new Date(value * 1000) : undefined;

const optionalText = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function cloudTrailControlPlane(options: ControlPlaneOptions): TrailControlPlane {
  const sign = createSigner({
    region: options.region,
    service: 'execute-api',
    credentials: options.credentials,
  });
  const transport = options.transport ?? fetchTransport(TIMEOUT_MS);
  const url = new URL('/', options.endpoint);

  const call = async (operation: string, body: Answer): Promise<Answer> => {
    const request = await sign('POST', url, JSON.stringify(body), {
      'content-type': AWS_JSON,
      'x-amz-target': `${TARGET_PREFIX}${operation}`,
    });
    const response = await transport(request);
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      parsed = undefined;
    }
    const answer = isRecord(parsed) ? parsed : {};
    if (response.status !== 200) {
      // awsJson errors: x-amzn-errortype or __type, `message` (API Gateway's own deny has only `message`).
      const code =
        response.headers['x-amzn-errortype'] ?? optionalText(answer.__type) ?? `HTTP${response.status}`;
      const message =
        optionalText(answer.message) ?? optionalText(answer.Message) ?? response.body.slice(0, 200);
      throw new OpenTrailError(code.split(':')[0] ?? code, `${operation}: ${message}`, response.status);
    }
    return answer;
  };

  return {
    async describeTrail(trailArn): Promise<TrailDescription | undefined> {
      // As the AWS CLI: every trail, then the one whose TrailARN matches exactly.
      const { trailList } = await call('DescribeTrails', {});
      const trail = (Array.isArray(trailList) ? trailList : [])
        .filter(isRecord)
        .find((t) => t.TrailARN === trailArn);
      if (trail === undefined) return undefined;
      const bucket = optionalText(trail.S3BucketName);
      if (bucket === undefined) {
        throw new OpenTrailError('NoDigests', `${trailArn} has no S3BucketName: its digests are off`);
      }
      return {
        trailArn,
        s3BucketName: bucket,
        s3KeyPrefix: optionalText(trail.S3KeyPrefix),
        isOrganizationTrail: trail.IsOrganizationTrail === true,
      };
    },

    async trailStatus(trailArn): Promise<TrailStatus> {
      const status = await call('GetTrailStatus', { Name: trailArn });
      return {
        startLoggingTime: optionalDate(status.StartLoggingTime),
        latestDigestDeliveryTime: optionalDate(status.LatestDigestDeliveryTime),
        latestDigestDeliveryError: optionalText(status.LatestDigestDeliveryError),
      };
    },

    async publicKeys(startTime, endTime): Promise<readonly PublicKey[]> {
      // One page, as the AWS CLI reads it.
      const { PublicKeyList } = await call('ListPublicKeys', {
        StartTime: startTime.getTime() / 1000,
        EndTime: endTime.getTime() / 1000,
      });
      return (Array.isArray(PublicKeyList) ? PublicKeyList : []).filter(isRecord).flatMap((key) => {
        const fingerprint = optionalText(key.Fingerprint);
        const value = optionalText(key.Value);
        if (fingerprint === undefined || value === undefined) return [];
        return [
          {
            fingerprint,
            value: new Uint8Array(Buffer.from(value, 'base64')),
          },
        ];
      });
    },
  };
}
