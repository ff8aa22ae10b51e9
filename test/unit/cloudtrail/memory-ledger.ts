import type { IntegrityLedgerReader } from '../../../lambda/core/cloudtrail/trail-reads.js';
import type {
  ChainHead,
  DigestRecord,
  SigningKeyRecord,
} from '../../../lambda/core/integrity/ledger-layout.js';

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
