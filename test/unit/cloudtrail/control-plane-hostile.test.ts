import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLOUDTRAIL_OPERATIONS,
  CLOUDTRAIL_TARGET_PREFIXES,
} from '../../../lambda/core/cloudtrail/operations.js';
import { routeKey, TRAIL_ROUTES } from '../../../lambda/core/trail-routes.js';
import { CLOUDTRAIL_PROTOCOL } from '../../../lambda/routes/protocols.js';
import { HTTP_CONTEXT, httpEvent } from '../../fixtures/http.js';
import { jsonish, weirdString } from '../../property/arbitraries.js';
import {
  CONTROL_PLANE_TRAIL_ARN,
  controlPlaneLookup,
  MemoryLedgerReader,
  signingKey,
} from './memory-ledger.js';

const ARN = CONTROL_PLANE_TRAIL_ARN;
const lookup = controlPlaneLookup({
  ledger: new MemoryLedgerReader({ keys: [signingKey('k', '2026-01-01T00:00:00.000Z')] }),
});

/** Every wire name the protocol table can answer. */
const KNOWN_CODES = new Set(Object.values(CLOUDTRAIL_PROTOCOL.refusals).map((refusal) => refusal?.code));

/** The members the reads take, with values that are sometimes right, sometimes of the wrong type or malformed. */
const MEMBERS = [
  'Name',
  'TrailName',
  'trailNameList',
  'includeShadowTrails',
  'StartTime',
  'EndTime',
  'NextToken',
];
const memberValue = fc.oneof(
  jsonish,
  weirdString,
  fc.constantFrom('audit', ARN, 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/other', 'arn:', 'a'),
  fc.array(fc.oneof(weirdString, fc.constantFrom('audit', ARN)), { maxLength: 60 }),
  fc.double(),
  fc.integer(),
);
const body = fc.dictionary(fc.oneof(fc.constantFrom(...MEMBERS), weirdString), memberValue, { maxKeys: 5 });

describe('the control-plane reads under hostile requests', () => {
  it('answer any body with 200 or a 400 naming a CloudTrail exception, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...CLOUDTRAIL_OPERATIONS.filter((operation) => operation !== 'LookupEvents')),
        body,
        async (operation, request) => {
          // Act
          const response = await lookup(
            httpEvent({
              routeKey: routeKey(TRAIL_ROUTES.LookupEvents),
              rawPath: '/',
              headers: { 'x-amz-target': `${CLOUDTRAIL_TARGET_PREFIXES[0]}${operation}` },
              body: JSON.stringify(request),
            }),
            HTTP_CONTEXT,
          );

          // Assess
          const answer = JSON.parse(response.body ?? '') as Record<string, unknown>;
          if (response.statusCode === 200) return;
          expect(response.statusCode, response.body).toBe(400);
          expect(KNOWN_CODES.has(String(answer.__type)), response.body).toBe(true);
          expect(response.headers?.['x-amzn-errortype']).toBe(answer.__type);
          expect(String(answer.message).length).toBeLessThan(2_000);
        },
      ),
      { numRuns: 500 },
    );
  });
});
