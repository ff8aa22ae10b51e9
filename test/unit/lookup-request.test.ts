import { describe, expect, it } from 'vitest';
import type { ErrorProtocol } from '../../lambda/adapters/http.js';
import { parseLookupEventsRequest } from '../../lambda/core/cloudtrail/lookup-events.js';
import { EVENT_ID_LENGTH } from '../../lambda/core/event-id.js';
import { byteLength } from '../../lambda/core/event-model.js';
import { POSTING_FAMILIES, postingPartitions } from '../../lambda/core/keys.js';
import { LIMITS } from '../../lambda/core/limits.js';
import type { LookupKey } from '../../lambda/core/lookup.js';
import { parseNativeLookup } from '../../lambda/core/lookup-request.js';
import { CLOUDTRAIL_PROTOCOL, NATIVE_PROTOCOL } from '../../lambda/routes/protocols.js';
import { NOW_MS } from '../fixtures/events.js';
import { refusalOf } from '../fixtures/request-error.js';

const CONTEXT = { nowMs: NOW_MS, retentionDays: 90 };

/** DynamoDB's partition key limit: a Query on a longer key fails with a ValidationException. */
const DYNAMODB_PARTITION_KEY_BYTES = 2048;

/** `"<status> <code>: <message>"` of the refusal as `protocol` answers it, or 'accepted'. */
function outcomeOf(run: () => unknown, protocol: ErrorProtocol): string {
  const refusal = refusalOf(run, protocol);
  return refusal === undefined ? 'accepted' : `${refusal.statusCode} ${refusal.code}: ${refusal.message}`;
}

/** The same attribute through both protocols: GET /events and CloudTrail's LookupEvents. */
function lookupOutcomes(key: LookupKey, value: string): { native: string; cloudTrail: string } {
  return {
    native: outcomeOf(() => parseNativeLookup({ [key]: value }, CONTEXT), NATIVE_PROTOCOL),
    cloudTrail: outcomeOf(
      () =>
        parseLookupEventsRequest(
          { LookupAttributes: [{ AttributeKey: key, AttributeValue: value }] },
          CONTEXT,
        ),
      CLOUDTRAIL_PROTOCOL,
    ),
  };
}

const ACCEPTED = { native: 'accepted', cloudTrail: 'accepted' };

/** Both protocols refused with their own InvalidLookupAttributes code and the same message. */
const refusedWith = (message: string) => ({
  native: `400 InvalidLookupAttributes: ${message}`,
  cloudTrail: `400 InvalidLookupAttributesException: ${message}`,
});

describe('checkLookupAttributes limits', () => {
  it.each([
    ['EventName', 'eventName', LIMITS.keyFieldBytes],
    ['EventSource', 'eventSource', LIMITS.keyFieldBytes],
    ['Username', 'userIdentity.userName (or principalId)', LIMITS.keyFieldBytes],
    ['ResourceType', 'resources[].type', LIMITS.keyFieldBytes],
    ['AccessKeyId', 'userIdentity.accessKeyId', LIMITS.keyFieldBytes],
    ['ResourceName', 'resources[].ARN', LIMITS.resourceArnBytes],
    ['EventId', 'eventID', EVENT_ID_LENGTH],
  ] as const)(
    'takes %s up to its stored limit and refuses one byte more (%s, %i bytes)',
    (key, field, maxBytes) => {
      // Act
      const atLimit = lookupOutcomes(key, 'a'.repeat(maxBytes));
      // A 2-byte last character: one byte over the limit, yet no more characters than the limit.
      const overLimit = lookupOutcomes(key, `${'a'.repeat(maxBytes - 1)}é`);

      // Assess
      expect(atLimit).toEqual(ACCEPTED);
      expect(overLimit).toEqual(
        refusedWith(
          `${key} is ${maxBytes + 1} UTF-8 bytes; ${field} is stored with at most ${maxBytes}, so no event can match`,
        ),
      );
    },
  );

  it('counts UTF-8 bytes against the stored limit, not characters', () => {
    // Act: é is 2 bytes, so 512 of them fill eventName's 1,024 bytes and 513 pass it.
    const atLimit = lookupOutcomes('EventName', 'é'.repeat(512));
    const overLimit = lookupOutcomes('EventName', 'é'.repeat(513));

    // Assess
    expect(atLimit).toEqual(ACCEPTED);
    expect(overLimit).toEqual(
      refusedWith(
        'EventName is 1026 UTF-8 bytes; eventName is stored with at most 1024, so no event can match',
      ),
    );
  });

  it("refuses a value over CloudTrail's 2,000 characters, counting code points", () => {
    // Act: 2,000 ASCII characters are exactly the ARN limit; 2,001 astral characters are 4,002 UTF-16 units.
    const atCap = lookupOutcomes('ResourceName', 'a'.repeat(2000));
    const overCap = lookupOutcomes('ResourceName', 'a'.repeat(2001));
    const astralOverCap = lookupOutcomes('ResourceName', '😀'.repeat(2001));
    const astralAtCap = lookupOutcomes('ResourceName', '😀'.repeat(2000));

    // Assess
    expect(atCap).toEqual(ACCEPTED);
    expect(overCap).toEqual(refusedWith('ResourceName is 2001 characters; at most 2000 are allowed'));
    expect(astralOverCap).toEqual(refusedWith('ResourceName is 2001 characters; at most 2000 are allowed'));
    // Within the character cap, but 8,000 bytes: the stored limit refuses it.
    expect(astralAtCap).toEqual(
      refusedWith(
        'ResourceName is 8000 UTF-8 bytes; resources[].ARN is stored with at most 2000, so no event can match',
      ),
    );
  });

  it('still refuses an empty value and a ReadOnly other than true or false', () => {
    // Act
    const empty = lookupOutcomes('Username', '');
    const readOnly = lookupOutcomes('ReadOnly', 'x'.repeat(6));

    // Assess
    expect(empty).toEqual(refusedWith('Username must not be empty'));
    expect(readOnly).toEqual(refusedWith('ReadOnly must be true or false'));
  });

  it("keeps every partition key a value at its limit builds within DynamoDB's 2,048 bytes", () => {
    // Prepare: the widest shard count and a multi-byte value at each stored limit.
    const shards = LIMITS.writeShards.max;
    const keyValue = 'é'.repeat(LIMITS.keyFieldBytes / 2);
    const arn = 'a'.repeat(LIMITS.resourceArnBytes);

    // Act
    const partitionKeys = Object.entries(POSTING_FAMILIES)
      .flatMap(([key, family]) => postingPartitions(family, key === 'ResourceName' ? arn : keyValue, shards))
      .map((partition) => partition.partitionKey);

    // Assess
    const longest = Math.max(...partitionKeys.map(byteLength));
    expect(longest).toBeGreaterThan(LIMITS.resourceArnBytes);
    expect(longest).toBeLessThanOrEqual(DYNAMODB_PARTITION_KEY_BYTES);
  });
});
