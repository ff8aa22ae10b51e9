import type { TrailConfig } from '../../../lambda/adapters/config.js';
import type { HttpHandler } from '../../../lambda/adapters/http.js';
import type { IntegrityLedgerReader } from '../../../lambda/core/cloudtrail/trail-reads.js';
import type {
  ChainHead,
  DigestRecord,
  SigningKeyRecord,
} from '../../../lambda/core/integrity/ledger-layout.js';
import { createLookupHandler, type LookupDependencies } from '../../../lambda/routes/lookup.js';
import { NOW_MS } from '../../fixtures/events.js';
import { MemoryInsightStore } from '../../fixtures/memory-insight-store.js';
import { MemoryEventStore } from '../../fixtures/memory-store.js';

/** The integrity ledger in memory, for the control-plane reads' tests: what the digester would have written. */
export class MemoryLedgerReader implements IntegrityLedgerReader {
  /** How many signing keys each read asked for. */
  readonly keyLimits: number[] = [];

  constructor(
    private readonly contents: {
      readonly head?: ChainHead;
      readonly digests?: readonly DigestRecord[];
      readonly keys?: readonly SigningKeyRecord[];
    } = {},
  ) {}

  async readChainHead(): Promise<ChainHead | undefined> {
    return this.contents.head;
  }

  async readOldestDigest(): Promise<DigestRecord | undefined> {
    return [...(this.contents.digests ?? [])].sort((a, b) =>
      a.digestEndTime.localeCompare(b.digestEndTime),
    )[0];
  }

  async readSigningKeys(limit: number) {
    this.keyLimits.push(limit);
    const newestFirst = [...(this.contents.keys ?? [])].sort((a, b) =>
      b.validityStart.localeCompare(a.validityStart),
    );
    return { keys: newestFirst.slice(0, limit), more: newestFirst.length > limit };
  }
}

/** A signing key record as the digester registers it. */
export const signingKey = (
  fingerprint: string,
  validityStart: string,
  validityEnd?: string,
): SigningKeyRecord => ({
  keyId: `arn:aws:kms:eu-west-1:111122223333:key/${fingerprint}`,
  fingerprint,
  publicKeyPkcs1: Buffer.from(`der-${fingerprint}`).toString('base64'),
  validityStart,
  ...(validityEnd === undefined ? {} : { validityEnd }),
});

/** A digest record as the digester writes it: an hour's digest, delivered 10 s after its end. */
export const digestRecord = (changes: Partial<DigestRecord> = {}): DigestRecord => ({
  digestS3Bucket: 'audit-digests',
  digestS3Object: 'k',
  digestStartTime: '2026-11-01T00:00:00Z',
  digestEndTime: '2026-11-01T01:00:00Z',
  signature: 's',
  hashValue: 'h',
  publicKeyFingerprint: 'f',
  objectCount: 0,
  deliveredAt: '2026-11-01T01:00:10Z',
  ...changes,
});

/** The trail the control-plane tests' lookup function serves (its account is not the API's). */
export const CONTROL_PLANE_TRAIL_ARN = 'arn:aws:cloudtrail:eu-west-1:999988887777:trail/audit';

const CONTROL_PLANE_CONFIG: TrailConfig = {
  tableName: 'trail',
  region: 'eu-west-1',
  retentionDays: 90,
  writeShards: 2,
};

/** The lookup function over in-memory stores, serving the trail `audit` with integrity on; `overrides` win. */
export function controlPlaneLookup(overrides: Partial<LookupDependencies> = {}): HttpHandler {
  return createLookupHandler({
    config: CONTROL_PLANE_CONFIG,
    reader: new MemoryEventStore(),
    counters: new MemoryInsightStore(),
    tokenSecret: async () => 'x'.repeat(32),
    now: () => NOW_MS,
    trail: {
      name: 'audit',
      arn: CONTROL_PLANE_TRAIL_ARN,
      homeRegion: 'eu-west-1',
      insightTypes: ['ApiCallRateInsight'],
      digests: { bucketName: 'audit-digests', keyPrefix: '' },
    },
    ...overrides,
  });
}
