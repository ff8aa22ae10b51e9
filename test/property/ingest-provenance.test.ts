import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrailConfig } from '../../lambda/adapters/config.js';
import { channelArn } from '../../lambda/core/cloudtrail/channels.js';
import { DEFAULT_INGEST_POLICY } from '../../lambda/core/ingest.js';
import { INSIGHT_EVENT_SOURCE } from '../../lambda/core/insights/records.js';
import { INSIGHTS_SOURCE } from '../../lambda/core/keys.js';
import type { ProvenanceMode } from '../../lambda/core/provenance.js';
import { routeKey, TRAIL_ROUTES } from '../../lambda/core/trail-routes.js';
import { createIngestHandler } from '../../lambda/routes/ingest.js';
import { ACCOUNT_ID, NOW_MS } from '../fixtures/events.js';
import { HTTP_CONTEXT, httpEvent, putRouteEvent } from '../fixtures/http.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';

/**
 * Provenance: both put routes apply the same rules to the same event (one place in the core), a producer never
 * forges OpenTrail's own identity or an insight, and the relaxed setting only opens the recipient and AWS sources.
 */

const CHANNEL_ARN = channelArn('aws', 'us-east-1', ACCOUNT_ID, 'default');
const CONFIG: TrailConfig = {
  tableName: 'trail',
  region: 'us-east-1',
  accountId: ACCOUNT_ID,
  retentionDays: 90,
  writeShards: 2,
  channels: [{ name: 'default', arn: CHANNEL_ARN }],
};
const PRODUCER = `arn:aws:iam::${ACCOUNT_ID}:user/producer`;

const recipients = fc.constantFrom(ACCOUNT_ID, '999999999999', '000000000000');
const sources = fc.constantFrom(
  'orders.example.com',
  'amazonaws.com.example.com',
  's3.amazonaws.com',
  'IAM.AmazonAWS.com',
  INSIGHTS_SOURCE,
  INSIGHT_EVENT_SOURCE,
  'Insights.OpenTrail',
);
const principals = fc.constantFrom('u-1', 'alice', INSIGHTS_SOURCE, INSIGHT_EVENT_SOURCE);
const provenanceEvent = fc.record({
  recipientAccountId: recipients,
  eventSource: sources,
  principalId: principals,
});
type ProvenanceCase = typeof provenanceEvent extends fc.Arbitrary<infer T> ? T : never;

/** What the rules say, written out independently of the code: undefined for a stored event, else its code. */
function expectedCode(event: ProvenanceCase, relaxed: boolean): string | undefined {
  const source = event.eventSource.toLowerCase();
  if (source === INSIGHTS_SOURCE || source === INSIGHT_EVENT_SOURCE) return 'InvalidEventSource';
  if (event.principalId === INSIGHTS_SOURCE || event.principalId === INSIGHT_EVENT_SOURCE)
    return 'InvalidData';
  if (relaxed) return undefined;
  if (event.recipientAccountId !== ACCOUNT_ID) return 'InvalidRecipient';
  if (source.endsWith('.amazonaws.com')) return 'InvalidEventSource';
  return undefined;
}

/** The outcome code of one event put through `route` of a fresh ingest function: 'stored' or the failure code. */
async function outcome(
  route: 'PutEvents' | 'PutAuditEvents',
  event: ProvenanceCase,
  provenance: ProvenanceMode | undefined,
): Promise<string> {
  const store = new MemoryEventStore();
  const ingest = createIngestHandler({
    config: CONFIG,
    writer: store,
    now: () => NOW_MS,
    ...(provenance === undefined ? {} : { policy: { ...DEFAULT_INGEST_POLICY, provenance } }),
  });
  const fields = {
    eventSource: event.eventSource,
    eventName: 'DoThing',
    eventTime: '2026-11-20T10:00:00Z',
    recipientAccountId: event.recipientAccountId,
    userIdentity: { type: 'CustomUser', principalId: event.principalId },
  };
  const body =
    route === 'PutEvents'
      ? fields
      : {
          auditEvents: [{ id: 'a', eventData: JSON.stringify({ ...fields, version: '1.0', UID: 'uid-1' }) }],
        };
  const response = await ingest(
    putRouteEvent(route, body, { channelArn: CHANNEL_ARN, callerArn: PRODUCER }),
    HTTP_CONTEXT,
  );
  const result = JSON.parse(response.body ?? '') as { failed: Array<{ errorCode: string }> };
  const failure = result.failed[0]?.errorCode;
  expect(store.records.size).toBe(failure === undefined ? 1 : 0);
  return failure ?? 'stored';
}

describe('provenance rules on both put routes', () => {
  it.each([
    ['strict (the default)', undefined, false],
    ['strict', 'strict', false],
    ['relaxed', 'relaxed', true],
  ] as const)(
    'give the same answer on POST /events and PutAuditEvents, %s',
    async (_, provenance, relaxed) => {
      await fc.assert(
        fc.asyncProperty(provenanceEvent, async (event) => {
          // Act
          const native = await outcome('PutEvents', event, provenance);
          const lake = await outcome('PutAuditEvents', event, provenance);

          // Assess
          expect(native).toBe(expectedCode(event, relaxed) ?? 'stored');
          expect(lake).toBe(native);
        }),
        { numRuns: 200 },
      );
    },
  );

  it('never stores a producer event as an insight, however it is spelled', async () => {
    const insightFields = fc.record(
      {
        eventCategory: fc.constantFrom('Insight', 'insight', 'INSIGHT'),
        eventType: fc.constantFrom('Insight', 'ApiCall'),
        insightDetails: fc.constant({ state: 'Start' }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(insightFields, async (fields) => {
        // Something in it must claim to be an insight.
        fc.pre(
          fields.eventCategory !== undefined ||
            fields.insightDetails !== undefined ||
            fields.eventType === 'Insight',
        );
        const store = new MemoryEventStore();
        const ingest = createIngestHandler({ config: CONFIG, writer: store, now: () => NOW_MS });
        const response = await ingest(
          httpEvent(
            {
              routeKey: routeKey(TRAIL_ROUTES.PutEvents),
              rawPath: TRAIL_ROUTES.PutEvents.path,
              body: JSON.stringify({
                eventSource: 'orders.example.com',
                eventName: 'DoThing',
                userIdentity: { type: 'CustomUser', principalId: 'u-1' },
                ...fields,
              }),
            },
            PRODUCER,
          ),
          HTTP_CONTEXT,
        );
        expect(JSON.parse(response.body ?? '').failed).toEqual([
          expect.objectContaining({ errorCode: 'InvalidData' }),
        ]);
        expect(store.records.size).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
