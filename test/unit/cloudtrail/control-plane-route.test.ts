import { describe, expect, it } from 'vitest';
import { CLOUDTRAIL_TARGET_PREFIXES } from '../../../lambda/core/cloudtrail/operations.js';
import { routeKey, TRAIL_ROUTES } from '../../../lambda/core/trail-routes.js';
import { NOW_MS } from '../../fixtures/events.js';
import { HTTP_CONTEXT, httpEvent } from '../../fixtures/http.js';
import {
  CONTROL_PLANE_TRAIL_ARN,
  controlPlaneLookup,
  MemoryLedgerReader,
  signingKey,
} from './memory-ledger.js';

const ARN = CONTROL_PLANE_TRAIL_ARN;
const API_ACCOUNT = '111122223333';

/** POST / with `target` (an operation name gets CloudTrail's short prefix) and a JSON body. */
async function call(
  lookup: ReturnType<typeof controlPlaneLookup>,
  target: string,
  body: unknown = {},
): Promise<{ status: number; headers: Record<string, unknown>; json: Record<string, unknown> }> {
  const response = await lookup(
    httpEvent({
      routeKey: routeKey(TRAIL_ROUTES.LookupEvents),
      rawPath: '/',
      headers: {
        'x-amz-target': target.includes('.') ? target : `${CLOUDTRAIL_TARGET_PREFIXES[0]}${target}`,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
    HTTP_CONTEXT,
  );
  return {
    status: response.statusCode ?? 0,
    headers: response.headers ?? {},
    json: JSON.parse(response.body ?? '{}') as Record<string, unknown>,
  };
}

describe('POST / dispatch', () => {
  it.each(['DescribeTrails', 'ListTrails', `${CLOUDTRAIL_TARGET_PREFIXES[1]}DescribeTrails`])(
    'answers %s with 200 in awsJson',
    async (target) => {
      // Act
      const response = await call(controlPlaneLookup(), target);

      // Assess
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe('application/x-amz-json-1.1');
    },
  );

  it.each(['CreateTrail', 'StartLogging', 'StopLogging', 'PutEventSelectors', 'DeleteTrail'])(
    'answers the write %s with UnsupportedOperationException and why',
    async (operation) => {
      // Act
      const response = await call(controlPlaneLookup(), operation, { Name: 'audit' });

      // Assess
      expect(response.status).toBe(400);
      expect(response.headers['x-amzn-errortype']).toBe('UnsupportedOperationException');
      expect(response.json.__type).toBe('UnsupportedOperationException');
      expect(String(response.json.message)).toMatch(/configured by its deployment/);
    },
  );

  it('answers a target outside CloudTrail with UnknownOperationException', async () => {
    // Act
    const response = await call(controlPlaneLookup(), 'DynamoDB_20120810.GetItem');

    // Assess
    expect(response.status).toBe(400);
    expect(response.json.__type).toBe('UnknownOperationException');
  });

  it('refuses a body that is not a JSON object with SerializationException', async () => {
    // Act
    const response = await call(controlPlaneLookup(), 'GetTrail', '[1]');

    // Assess
    expect(response.json.__type).toBe('SerializationException');
  });
});

describe('the trail reads through the lookup function', () => {
  it('describes the configured trail, its ARN as configured', async () => {
    // Act
    const { json } = await call(controlPlaneLookup(), 'GetTrail', { Name: ARN });

    // Assess
    expect(json).toEqual({
      Trail: {
        Name: 'audit',
        S3BucketName: 'audit-digests',
        IncludeGlobalServiceEvents: true,
        IsMultiRegionTrail: false,
        HomeRegion: 'eu-west-1',
        TrailARN: ARN,
        LogFileValidationEnabled: true,
        HasCustomEventSelectors: false,
        HasInsightSelectors: true,
        IsOrganizationTrail: false,
      },
    });
  });

  it("makes the ARN from the API's account when none is configured", async () => {
    // Prepare
    const lookup = controlPlaneLookup({
      trail: { name: 'audit', homeRegion: 'eu-west-1', insightTypes: [] },
    });

    // Act
    const { json } = await call(lookup, 'ListTrails');

    // Assess
    expect(json).toEqual({
      Trails: [
        {
          TrailARN: `arn:aws:cloudtrail:eu-west-1:${API_ACCOUNT}:trail/audit`,
          Name: 'audit',
          HomeRegion: 'eu-west-1',
        },
      ],
    });
  });

  it('answers GetTrailStatus from the chain head and the first digest', async () => {
    // Prepare
    const ledger = new MemoryLedgerReader({
      head: {
        latestDeliveryTime: '2026-11-23T23:59:00.000Z',
        lastDigestDeliveredAt: '2026-11-23T23:00:05.000Z',
      },
      digests: [
        {
          digestS3Bucket: 'audit-digests',
          digestS3Object: 'k2',
          digestStartTime: '2026-11-23T22:00:00Z',
          digestEndTime: '2026-11-23T23:00:00Z',
          signature: 's',
          hashValue: 'h',
          publicKeyFingerprint: 'f',
          objectCount: 1,
          deliveredAt: '2026-11-23T23:00:05.000Z',
        },
      ],
    });

    // Act
    const { status, json } = await call(controlPlaneLookup({ ledger }), 'GetTrailStatus', { Name: 'audit' });

    // Assess
    expect(status).toBe(200);
    expect(json).toEqual({
      IsLogging: true,
      LatestDeliveryTime: Date.parse('2026-11-23T23:59:00Z') / 1000,
      LatestDigestDeliveryTime: Date.parse('2026-11-23T23:00:05Z') / 1000,
      StartLoggingTime: Date.parse('2026-11-23T22:00:00Z') / 1000,
    });
  });

  it('lists the public keys valid in the range, reading a bounded number of registry entries', async () => {
    // Prepare
    const ledger = new MemoryLedgerReader({
      keys: [
        signingKey('current', '2026-11-01T00:00:00.000Z'),
        signingKey('retired', '2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z'),
      ],
    });

    // Act
    const { json } = await call(controlPlaneLookup({ ledger }), 'ListPublicKeys', {
      StartTime: Date.parse('2026-10-20T00:00:00Z') / 1000,
      EndTime: NOW_MS / 1000,
    });

    // Assess
    expect((json.PublicKeyList as Array<{ Fingerprint: string }>).map((key) => key.Fingerprint)).toEqual([
      'current',
      'retired',
    ]);
    expect(ledger.keyLimits).toEqual([1000]);
  });

  it('still answers every read with integrity off: no ledger, validation off, no keys', async () => {
    // Prepare
    const lookup = controlPlaneLookup({
      trail: { name: 'audit', arn: ARN, homeRegion: 'eu-west-1', insightTypes: [] },
    });

    // Act
    const [trails, status, keys] = await Promise.all([
      call(lookup, 'DescribeTrails', { trailNameList: ['audit'] }),
      call(lookup, 'GetTrailStatus', { Name: 'audit' }),
      call(lookup, 'ListPublicKeys'),
    ]);

    // Assess
    expect(trails.json.trailList).toEqual([expect.objectContaining({ LogFileValidationEnabled: false })]);
    expect(status.json).toEqual({ IsLogging: true });
    expect(keys.json).toEqual({ PublicKeyList: [] });
  });

  it('answers GetEventSelectors and GetInsightSelectors in their shapes, and TrailNotFoundException', async () => {
    // Prepare
    const lookup = controlPlaneLookup();

    // Act
    const [selectors, insights, missing] = await Promise.all([
      call(lookup, 'GetEventSelectors', { TrailName: 'audit' }),
      call(lookup, 'GetInsightSelectors', { TrailName: 'audit' }),
      call(lookup, 'GetEventSelectors', { TrailName: 'other' }),
    ]);

    // Assess
    expect(selectors.json).toEqual({
      TrailARN: ARN,
      EventSelectors: [
        {
          ReadWriteType: 'All',
          IncludeManagementEvents: true,
          DataResources: [],
          ExcludeManagementEventSources: [],
        },
      ],
    });
    expect(insights.json).toEqual({
      TrailARN: ARN,
      InsightSelectors: [{ InsightType: 'ApiCallRateInsight', EventCategories: ['Management'] }],
    });
    expect(missing.status).toBe(400);
    expect(missing.headers['x-amzn-errortype']).toBe('TrailNotFoundException');
  });
});
