import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransportRequest, TransportResponse } from '../../../../clients/typescript/src/transport.js';
import { cloudTrailControlPlane } from '../../../../clients/typescript/src/validate/control-plane.js';
import {
  targetFromLocalFile,
  targetFromStackOutputs,
} from '../../../../clients/typescript/src/validate/target.js';

/**
 * The validator's edges: CloudTrail's control-plane reads as awsJson calls signed for execute-api (against a fake
 * transport), and where it finds the trail (local mode's file, a stack's outputs).
 */

const TRAIL_ARN = 'arn:aws:cloudtrail:eu-west-1:123456789012:trail/opentrail';
const CREDENTIALS = { accessKeyId: 'reader', secretAccessKey: 'reader' };

const answering = (answers: Record<string, TransportResponse>) => {
  const requests: TransportRequest[] = [];
  const transport = async (request: TransportRequest): Promise<TransportResponse> => {
    requests.push(request);
    const operation = (request.headers['x-amz-target'] ?? '').split('.').at(-1) ?? '';
    return answers[operation] ?? { status: 400, headers: {}, body: '{}' };
  };
  return { requests, transport };
};

const ok = (body: unknown): TransportResponse => ({ status: 200, headers: {}, body: JSON.stringify(body) });

describe('cloudTrailControlPlane', () => {
  it('signs each read for execute-api with X-Amz-Target and content-type among the signed headers', async () => {
    // Prepare
    const { requests, transport } = answering({ GetTrailStatus: ok({ IsLogging: true }) });
    const controlPlane = cloudTrailControlPlane({
      endpoint: 'http://127.0.0.1:3000',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      transport,
    });

    // Act
    await controlPlane.trailStatus(TRAIL_ARN);

    // Assess
    const [request] = requests;
    expect(request?.method).toBe('POST');
    expect(request?.url.pathname).toBe('/');
    expect(request?.headers['x-amz-target']).toBe(
      'com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.GetTrailStatus',
    );
    expect(request?.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(request?.headers.authorization).toMatch(
      /Credential=reader\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target,/,
    );
    expect(JSON.parse(request?.body ?? '')).toEqual({ Name: TRAIL_ARN });
  });

  it("reads CloudTrail's shapes: the trail by exact ARN, epoch-second times, base64 PKCS#1 keys", async () => {
    // Prepare
    const { requests, transport } = answering({
      DescribeTrails: ok({
        trailList: [
          { TrailARN: `${TRAIL_ARN}-2`, S3BucketName: 'other' },
          { TrailARN: TRAIL_ARN, S3BucketName: 'digests', S3KeyPrefix: 'audit', IsOrganizationTrail: false },
        ],
      }),
      GetTrailStatus: ok({
        IsLogging: true,
        LatestDigestDeliveryTime: 1_796_176_800.5,
        StartLoggingTime: 1_796_173_200,
      }),
      ListPublicKeys: ok({
        PublicKeyList: [
          { Fingerprint: 'f1', Value: Buffer.from([1, 2, 3]).toString('base64'), ValidityStartTime: 1 },
        ],
      }),
    });
    const controlPlane = cloudTrailControlPlane({
      endpoint: 'http://127.0.0.1:3000',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      transport,
    });

    // Act
    const trail = await controlPlane.describeTrail(TRAIL_ARN);
    const status = await controlPlane.trailStatus(TRAIL_ARN);
    const keys = await controlPlane.publicKeys(new Date(1_000_000), new Date(2_000_000));

    // Assess
    expect(trail).toEqual({
      trailArn: TRAIL_ARN,
      s3BucketName: 'digests',
      s3KeyPrefix: 'audit',
      isOrganizationTrail: false,
    });
    expect(status).toEqual({
      latestDigestDeliveryTime: new Date(1_796_176_800_500),
      startLoggingTime: new Date(1_796_173_200_000),
    });
    expect(keys).toEqual([
      {
        fingerprint: 'f1',
        value: new Uint8Array([1, 2, 3]),
      },
    ]);
    expect(JSON.parse(requests[2]?.body ?? '')).toEqual({ StartTime: 1000, EndTime: 2000 });
  });

  it("raises the API's error with its awsJson type", async () => {
    // Prepare
    const { transport } = answering({
      GetTrailStatus: {
        status: 400,
        headers: { 'x-amzn-errortype': 'TrailNotFoundException' },
        body: JSON.stringify({ __type: 'TrailNotFoundException', message: 'Unknown trail' }),
      },
    });
    const controlPlane = cloudTrailControlPlane({
      endpoint: 'http://127.0.0.1:3000',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      transport,
    });

    // Act
    const status = controlPlane.trailStatus(TRAIL_ARN);

    // Assess
    await expect(status).rejects.toMatchObject({
      code: 'TrailNotFoundException',
      message: 'GetTrailStatus: Unknown trail',
      status: 400,
    });
  });
});

describe('validate targets', () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'opentrail-target-'));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  const file = async (name: string, content: unknown) => {
    const path = join(folder, name);
    await writeFile(path, JSON.stringify(content));
    return path;
  };
  const pair = (name: string) => ({ accessKeyId: name, secretAccessKey: name });

  it("takes local mode's API with the reader pair and the emulator's S3", async () => {
    // Prepare
    const path = await file('local.json', {
      apiUrl: 'http://127.0.0.1:3000',
      region: 'us-east-1',
      awsEndpoint: 'http://127.0.0.1:5000',
      s3Endpoint: 'http://127.0.0.1:5001',
      credentials: pair('test'),
      producerCredentials: pair('producer'),
      readerCredentials: pair('reader'),
      bucketName: 'opentrail-archive',
      trailArn: TRAIL_ARN,
      digestIntervalSeconds: 60,
    });

    // Act
    const target = await targetFromLocalFile(path);

    // Assess
    expect(target).toEqual({
      apiUrl: 'http://127.0.0.1:3000',
      region: 'us-east-1',
      trailArn: TRAIL_ARN,
      archiveBucket: 'opentrail-archive',
      s3Endpoint: 'http://127.0.0.1:5001',
      apiCredentials: pair('reader'),
      s3Credentials: pair('test'),
      digestIntervalSeconds: 60,
    });
  });

  it('names what an older local file lacks', async () => {
    // Prepare
    const path = await file('old.json', {
      apiUrl: 'http://127.0.0.1:3000',
      region: 'us-east-1',
      producerCredentials: pair('producer'),
      readerCredentials: pair('reader'),
    });

    // Act
    const target = targetFromLocalFile(path);

    // Assess
    await expect(target).rejects.toThrow(`${path}: lacks trailArn, bucketName, s3Endpoint`);
  });

  it("takes a stack's ApiUrl, TrailArn and ArchiveBucketName, the region from the ARN", async () => {
    // Prepare
    const path = await file('outputs.json', {
      Other: { ApiUrl: 'https://other.example.com/' },
      OpenTrail: {
        ApiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/',
        TrailArn: TRAIL_ARN,
        ArchiveBucketName: 'archive-bucket',
      },
    });

    // Act
    const target = await targetFromStackOutputs(path);

    // Assess
    expect(target).toEqual({
      apiUrl: 'https://abc.execute-api.eu-west-1.amazonaws.com/',
      region: 'eu-west-1',
      trailArn: TRAIL_ARN,
      archiveBucket: 'archive-bucket',
    });
  });
});
