import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateProducerEvent } from '../../lambda/core/event-model.js';
import { DEFAULT_INGEST_POLICY, type IngestOptions, putEvents } from '../../lambda/core/ingest.js';
import { REDACTED_ROOTS, REDACTION_MASK } from '../../lambda/core/redaction.js';
import { ENRICHMENT } from '../fixtures/events.js';
import { MemoryEventStore } from '../fixtures/memory-store.js';
import { eventJson, eventWithSecretsJson, jsonish, SENSITIVE_KEYS } from './arbitraries.js';

const OPTIONS: IngestOptions = { ...ENRICHMENT, writeShards: 4, pickShard: () => 0 };
const EVENT_CODES = ['FieldNotFound', 'FieldTooLong', 'InvalidData', 'EventTooLarge', 'InvalidRegion'];
/** What OpenTrail adds to the producer's fields (the producer's `id` moves into `ingestion`). */
const OPENTRAIL_FIELDS = [
  'eventVersion',
  'eventTime',
  'awsRegion',
  'eventID',
  'eventType',
  'readOnly',
  'managementEvent',
  'eventCategory',
  'recipientAccountId',
  'clientType',
  'ingestion',
];

type Json = Record<string, unknown>;

/** The stored record of an accepted event, read back as a reader would get it. */
async function putOne(text: string, options: IngestOptions) {
  const store = new MemoryEventStore();
  const input = JSON.parse(text) as Json;
  const result = await putEvents([input], store, options);
  const eventID = result.successful[0]?.eventID;
  const stored =
    eventID === undefined ? undefined : (JSON.parse(store.records.get(eventID) ?? 'null') as Json);
  return { input, result, stored, store };
}

interface Comparison {
  /** Places whose stored value differs from the sent one, with the stored value. */
  readonly changed: Map<string, unknown>;
  /** Places where the sent value already was the mask text (masking it changes nothing visible). */
  readonly maskText: string[];
  /** Places of a non-null value under one of the generators' sensitive keys, reached without a masked parent. */
  readonly secrets: string[];
}

/** Walks what was sent beside what was stored, naming places the way ingestion.redactedFields does. */
function compare(sent: unknown, stored: unknown, path: string, found: Comparison) {
  if (sent !== null && stored !== null && typeof sent === 'object' && typeof stored === 'object') {
    for (const key of Object.keys(sent)) {
      const part = Array.isArray(sent)
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? `.${key}`
          : `[${JSON.stringify(key)}]`;
      const value = (sent as Json)[key];
      if (!Array.isArray(sent) && value !== null && SENSITIVE_KEYS.includes(key))
        found.secrets.push(path + part);
      compare(value, (stored as Json)[key], path + part, found);
    }
  } else if (JSON.stringify(sent) !== JSON.stringify(stored)) {
    found.changed.set(path, stored);
  } else if (sent === REDACTION_MASK) {
    found.maskText.push(path);
  }
}

/** The value at a dotted root like `userIdentity.details`. */
const atRoot = (event: Json, root: string): unknown =>
  root.split('.').reduce<unknown>((value, key) => (isJsonObject(value) ? value[key] : undefined), event);
const isJsonObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** A copy of an event without the objects redaction may change. */
function outsideRoots(event: Json): Json {
  const copy = JSON.parse(JSON.stringify(event)) as Json;
  for (const root of REDACTED_ROOTS) {
    const [field, inner] = root.split('.') as [string, string | undefined];
    const holder = inner === undefined ? copy : copy[field];
    if (isJsonObject(holder)) delete holder[inner ?? field];
  }
  return copy;
}

describe('event validation and ingest on hostile input', () => {
  it('answers any JSON value with an acceptance or a known per-event code, never a throw', () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        const result = validateProducerEvent(value);
        if (!result.ok) {
          expect(EVENT_CODES).toContain(result.errorCode);
          expect(result.errorMessage.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("stores an accepted event exactly as sent, adding only OpenTrail's fields", async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(eventJson, async (text) => {
        // Act
        const { input, result, stored, store } = await putOne(text, OPTIONS);
        // Assess
        expect(result.successful.length + result.failed.length).toBe(1);
        if (stored === undefined) {
          expect(EVENT_CODES).toContain(result.failed[0]?.errorCode);
          expect(store.records.size).toBe(0);
          return;
        }
        accepted++;
        const { id, ...sent } = input;
        for (const [name, value] of Object.entries(sent)) {
          expect(JSON.stringify(stored[name]), name).toBe(JSON.stringify(value));
        }
        const added = Object.keys(stored).filter((name) => !Object.hasOwn(sent, name));
        expect(OPENTRAIL_FIELDS).toEqual(expect.arrayContaining(added));
        expect((stored.ingestion as Json).id).toBe(id);
      }),
      { numRuns: 2500 },
    );
    // The property says something only if a fair share of the generated events is accepted.
    expect(accepted).toBeGreaterThan(500);
  });

  it('masks every secret and exactly the fields it lists, and changes nothing else', async () => {
    let masked = 0;
    await fc.assert(
      fc.asyncProperty(fc.oneof(eventJson, eventWithSecretsJson), async (text) => {
        const { input, stored } = await putOne(text, { ...OPTIONS, policy: DEFAULT_INGEST_POLICY });
        if (stored === undefined) return;
        const listed = ((stored.ingestion as Json).redactedFields as string[] | undefined) ?? [];
        const found: Comparison = { changed: new Map(), maskText: [], secrets: [] };
        for (const root of REDACTED_ROOTS) compare(atRoot(input, root), atRoot(stored, root), root, found);
        const { changed, maskText, secrets } = found;
        for (const [path, value] of changed) expect(value, path).toBe(REDACTION_MASK);
        expect(listed).toEqual(expect.arrayContaining([...changed.keys()]));
        expect([...changed.keys(), ...maskText]).toEqual(expect.arrayContaining(listed));
        // And nothing sensitive is left: every secret the generators planted, in every root, is listed.
        expect(listed).toEqual(expect.arrayContaining(secrets));
        // Outside the free-form objects nothing changes: userIdentity.accessKeyId stays a lookup key.
        const { id, ...sent } = outsideRoots(input);
        const kept = outsideRoots(stored);
        for (const [name, value] of Object.entries(sent)) {
          expect(JSON.stringify(kept[name]), name).toBe(JSON.stringify(value));
        }
        if (listed.length > 0) masked++;
      }),
      { numRuns: 2500 },
    );
    expect(masked).toBeGreaterThan(200);
  });
});
