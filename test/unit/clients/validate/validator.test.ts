import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { findingLine, summaryLines } from '../../../../clients/typescript/src/validate/report.js';
import {
  type Finding,
  type ValidateHooks,
  type ValidationReport,
  validateArchive,
  verified,
} from '../../../../clients/typescript/src/validate/validator.js';
import {
  ARCHIVE_BUCKET,
  archiveKeyAt,
  buildArchive,
  DIGEST_BUCKET,
  digestKeyAt,
  eventsLine,
  putDigest,
  request,
  signingKey,
  TRAIL_ARN,
} from './archive-fixture.js';

/**
 * The validator over an in-memory archive: a clean chain verifies, and each kind of tampering fails and names the
 * object. The fixture writes CloudTrail's format independently of the validator (archive-fixture.ts).
 */

const FIRST_END = new Date('2026-12-02T06:00:00Z');
const START = new Date('2026-12-02T05:00:00Z');
const NOW = new Date('2026-12-02T10:30:00Z');
const DIGESTS = 5;
const OBJECTS_PER_DIGEST = 2;

const archive = () =>
  buildArchive({ firstEnd: FIRST_END, digests: DIGESTS, objectsPerDigest: OBJECTS_PER_DIGEST });
type Archive = ReturnType<typeof archive>;

const validate = (fixture: Archive, now = NOW, hooks?: ValidateHooks) =>
  validateArchive(request(now, START), fixture, hooks);

const s3 = (bucket: string, key: string) => `s3://${bucket}/${key}`;
const kinds = (report: ValidationReport) => report.findings.map(({ kind, object }) => ({ kind, object }));
const findingsOf = (report: ValidationReport, kind: Finding['kind']) =>
  report.findings.filter((finding) => finding.kind === kind);

const digestAt = (fixture: Archive, index: number) => {
  const written = fixture.written[index];
  if (written === undefined) throw new Error(`the fixture has no digest ${index}`);
  return written;
};

describe('validateArchive', () => {
  it('verifies every digest and log file of an untouched chain', async () => {
    // Prepare
    const fixture = archive();
    const seen: string[] = [];

    // Act
    const report = await validate(fixture, NOW, {
      onChecked: ({ object, valid }) => seen.push(`${valid} ${object}`),
    });

    // Assess
    expect(report.findings).toEqual([]);
    expect(verified(report)).toBe(true);
    expect(report.digests).toEqual({ valid: DIGESTS, invalid: 0 });
    expect(report.logFiles).toEqual({ valid: DIGESTS * OBJECTS_PER_DIGEST, invalid: 0 });
    expect(report.foundStartTime).toEqual(START);
    expect(report.foundEndTime).toEqual(new Date('2026-12-02T10:00:00Z'));
    expect(seen).toContain(`true ${s3(DIGEST_BUCKET, digestAt(fixture, 0).key)}`);
  });

  it('names an archive object whose bytes changed', async () => {
    // Prepare
    const fixture = archive();
    const changed = digestAt(fixture, 2).logFiles[1] ?? '';
    fixture.store.object(ARCHIVE_BUCKET, changed).bytes = gzipSync(eventsLine('forged'));

    // Act
    const report = await validate(fixture);

    // Assess
    expect(kinds(report)).toEqual([{ kind: 'log-invalid', object: s3(ARCHIVE_BUCKET, changed) }]);
    expect(report.findings[0]?.reason).toBe("hash value doesn't match");
    expect(report.logFiles.invalid).toBe(1);
    expect(verified(report)).toBe(false);
  });

  it('names a deleted archive object', async () => {
    // Prepare
    const fixture = archive();
    const deleted = digestAt(fixture, 1).logFiles[0] ?? '';
    fixture.store.delete(ARCHIVE_BUCKET, deleted);

    // Act
    const report = await validate(fixture);

    // Assess
    expect(kinds(report)).toEqual([{ kind: 'log-not-found', object: s3(ARCHIVE_BUCKET, deleted) }]);
  });

  it('names a digest deleted from the middle of the chain, and the objects only it listed', async () => {
    // Prepare
    const fixture = archive();
    const deleted = digestAt(fixture, 2);
    fixture.store.delete(DIGEST_BUCKET, deleted.key);

    // Act
    const report = await validate(fixture);

    // Assess
    expect(findingsOf(report, 'digest-not-found')).toEqual([
      { kind: 'digest-not-found', object: s3(DIGEST_BUCKET, deleted.key), reason: 'not found' },
    ]);
    expect(findingsOf(report, 'object-unlisted').map(({ object }) => object)).toEqual(
      deleted.logFiles.map((key) => s3(ARCHIVE_BUCKET, key)),
    );
    // The CLI goes on with the next older digest; those after and before the hole still verify.
    expect(report.digests).toEqual({ valid: DIGESTS - 1, invalid: 1 });
  });

  it('fails the signature of an edited digest', async () => {
    // Prepare: the JSON changes (one hash swapped), the signature stays.
    const fixture = archive();
    const edited = digestAt(fixture, 3);
    const stored = fixture.store.object(DIGEST_BUCKET, edited.key);
    const other = digestAt(fixture, 0).logFiles[0] ?? '';
    const json = JSON.parse((await import('node:zlib')).gunzipSync(stored.bytes).toString('utf8')) as {
      logFiles: Array<{ s3Object: string }>;
    };
    const first = json.logFiles[0];
    if (first !== undefined) first.s3Object = other;
    stored.bytes = gzipSync(JSON.stringify(json));

    // Act
    const report = await validate(fixture);

    // Assess
    expect(findingsOf(report, 'digest-invalid')).toEqual([
      {
        kind: 'digest-invalid',
        object: s3(DIGEST_BUCKET, edited.key),
        reason: 'signature verification failed',
      },
    ]);
  });

  it('names a digest moved from where it was delivered, and the hole it left', async () => {
    // Prepare: digest 1 is copied under the key of a time within its period and deleted from its place.
    const fixture = archive();
    const moved = digestAt(fixture, 1);
    const elsewhere = digestKeyAt(new Date(moved.endTime.getTime() - 1_800_000));
    fixture.store.put(DIGEST_BUCKET, elsewhere, fixture.store.object(DIGEST_BUCKET, moved.key));
    fixture.store.delete(DIGEST_BUCKET, moved.key);

    // Act
    const report = await validate(fixture);

    // Assess
    expect(findingsOf(report, 'digest-not-found').map(({ object }) => object)).toEqual([
      s3(DIGEST_BUCKET, moved.key),
    ]);
    const invalid = findingsOf(report, 'digest-invalid');
    expect(invalid.map(({ object }) => object)).toEqual([s3(DIGEST_BUCKET, elsewhere)]);
    expect(invalid[0]?.reason).toMatch(/^has been moved from its original location/);
  });

  it('fails every digest signed by a key ListPublicKeys does not list', async () => {
    // Prepare
    const fixture = archive();
    const other = signingKey();
    const controlPlane = { ...fixture.controlPlane, publicKeys: async () => [other.publicKey] };

    // Act
    const report = await validateArchive(request(NOW, START), { store: fixture.store, controlPlane });

    // Assess
    const invalid = findingsOf(report, 'digest-invalid');
    expect(invalid.map(({ object }) => object)).toEqual(
      [...fixture.written].reverse().map(({ key }) => s3(DIGEST_BUCKET, key)),
    );
    expect(invalid[0]?.reason).toBe(
      `public key not found in region us-east-1 for fingerprint ${fixture.key.publicKey.fingerprint}`,
    );
  });

  it('names an archive object that no digest lists (someone else wrote it)', async () => {
    // Prepare
    const fixture = archive();
    const writtenAt = new Date('2026-12-02T07:30:00Z');
    const foreign = archiveKeyAt(writtenAt, 'foreign');
    fixture.store.put(ARCHIVE_BUCKET, foreign, {
      bytes: gzipSync(eventsLine('forged')),
      metadata: {},
      lastModified: writtenAt,
    });

    // Act
    const report = await validate(fixture);

    // Assess
    expect(kinds(report)).toEqual([{ kind: 'object-unlisted', object: s3(ARCHIVE_BUCKET, foreign) }]);
  });

  it('refuses an archive object with a second gzip member appended, which the AWS CLI would pass', async () => {
    // Prepare
    const fixture = archive();
    const appended = digestAt(fixture, 4).logFiles[0] ?? '';
    const stored = fixture.store.object(ARCHIVE_BUCKET, appended);
    stored.bytes = Buffer.concat([stored.bytes, gzipSync(eventsLine('forged'))]);

    // Act
    const report = await validate(fixture);

    // Assess
    expect(kinds(report)).toEqual([{ kind: 'log-refused', object: s3(ARCHIVE_BUCKET, appended) }]);
    expect(report.findings[0]?.reason).toMatch(/bytes follow the first gzip member/);
  });

  it('names a newest digest deleted, from what GetTrailStatus says was delivered', async () => {
    // Prepare
    const fixture = archive();
    const newest = digestAt(fixture, DIGESTS - 1);
    fixture.store.delete(DIGEST_BUCKET, newest.key);

    // Act
    const report = await validate(fixture);

    // Assess
    const missing = findingsOf(report, 'digest-missing-newest');
    expect(missing).toHaveLength(1);
    expect(missing[0]?.reason).toContain(
      'GetTrailStatus says a digest was delivered at 2026-12-02T10:00:00.000Z',
    );
    expect(missing[0]?.reason).toContain(s3(DIGEST_BUCKET, digestAt(fixture, DIGESTS - 2).key));
    // The CLI sees a shorter, valid chain.
    expect(report.digests).toEqual({ valid: DIGESTS - 1, invalid: 0 });
  });

  it('verifies a newest digest delivered long after its end, as a run resuming it after a crash delivers it', async () => {
    // Prepare: the newest digest ends at 10:00; the run that cut it stopped after writing it, and the next run
    // finished it (GetTrailStatus' delivery) at 10:20, cutting no other as it came less than half an interval on.
    const fixture = archive();
    const status = { ...fixture.status, latestDigestDeliveryTime: new Date('2026-12-02T10:20:00Z') };
    const resumed = {
      ...fixture,
      controlPlane: { ...fixture.controlPlane, trailStatus: async () => status },
    };

    // Act
    const report = await validateArchive(request(NOW, START), resumed);

    // Assess
    expect(report.findings).toEqual([]);
    expect(verified(report)).toBe(true);
    expect(report.digests).toEqual({ valid: DIGESTS, invalid: 0 });
  });

  it('names a digest overdue by the schedule when none arrived after the newest', async () => {
    // Prepare: an hour and a half after the newest digest's end, the next one is half an hour late.
    const fixture = archive();
    const later = new Date('2026-12-02T11:30:00Z');

    // Act
    const report = await validate(fixture, later);

    // Assess
    expect(kinds(report)).toEqual([
      {
        kind: 'digest-missing-newest',
        object: s3(DIGEST_BUCKET, `AWSLogs/123456789012/CloudTrail-Digest/us-east-1/`),
      },
    ]);
    expect(report.findings[0]?.reason).toMatch(
      /^no digest since 2026-12-02T10:00:00.000Z: one is due every 3600 s/,
    );
  });

  it("takes the schedule from the newest linked digest's period when none is given", async () => {
    // Prepare: digests every ten minutes; twenty minutes after the newest, the next is overdue by that schedule.
    const fixture = buildArchive({
      firstEnd: FIRST_END,
      digests: 3,
      objectsPerDigest: 1,
      intervalSeconds: 600,
    });
    const later = new Date(FIRST_END.getTime() + (2 * 600 + 1_200) * 1000);
    const { digestIntervalSeconds: _asked, graceSeconds: _grace, ...unscheduled } = request(later, START);

    // Act
    const report = await validateArchive(unscheduled, fixture);

    // Assess
    expect(report.schedule).toEqual({ digestIntervalSeconds: 600, graceSeconds: 300 });
    expect(kinds(report).map(({ kind }) => kind)).toEqual(['digest-missing-newest']);
    expect(report.findings[0]?.reason).toMatch(/one is due every 600 s \(300 s grace\)/);
  });

  it('names a gap in time and a digest that starts a chain in the middle', async () => {
    // Prepare: a digest written over the newest one that ends later, starts later and links to nothing.
    const fixture = archive();
    const newest = digestAt(fixture, DIGESTS - 1);
    const restart = putDigest(fixture.store, fixture.key, {
      key: newest.key,
      start: new Date(newest.endTime.getTime() - 600_000),
      end: newest.endTime,
      logFiles: [],
    });

    // Act
    const report = await validate(fixture);

    // Assess
    expect(restart.signature).not.toBe('');
    expect(findingsOf(report, 'chain-break')).toEqual([
      {
        kind: 'chain-break',
        object: s3(DIGEST_BUCKET, newest.key),
        reason: `starts a new chain (no previous digest) while ${s3(DIGEST_BUCKET, digestAt(fixture, DIGESTS - 2).key)} is older`,
      },
    ]);
    // What the replaced digest listed is now listed by none.
    expect(findingsOf(report, 'object-unlisted').map(({ object }) => object)).toEqual(
      newest.logFiles.map((key) => s3(ARCHIVE_BUCKET, key)),
    );
  });

  it('names a link whose previous hash is not the previous digest, and a gap between linked digests', async () => {
    // Prepare: the newest digest is re-signed pointing at its real previous one with a wrong hash and a late start.
    const fixture = archive();
    const newest = digestAt(fixture, DIGESTS - 1);
    const previous = digestAt(fixture, DIGESTS - 2);
    const previousSignature = fixture.store.object(DIGEST_BUCKET, previous.key).metadata.signature ?? '';
    putDigest(fixture.store, fixture.key, {
      key: newest.key,
      start: new Date(newest.endTime.getTime() - 1_800_000),
      end: newest.endTime,
      previous: { key: previous.key, hash: '0'.repeat(64), signature: previousSignature },
      logFiles: [],
    });

    // Act
    const report = await validate(fixture);

    // Assess
    expect(findingsOf(report, 'chain-link').map(({ object }) => object)).toEqual([
      s3(DIGEST_BUCKET, previous.key),
    ]);
    expect(findingsOf(report, 'chain-gap')).toEqual([
      {
        kind: 'chain-gap',
        object: s3(DIGEST_BUCKET, previous.key),
        reason: `ends at 2026-12-02T09:00:00Z, but the next digest ${s3(DIGEST_BUCKET, newest.key)} starts at 2026-12-02T09:30:00Z`,
      },
    ]);
  });

  it('names an object two digests list', async () => {
    // Prepare: the newest digest re-signed listing an object of the one before, chained correctly.
    const fixture = archive();
    const newest = digestAt(fixture, DIGESTS - 1);
    const previous = digestAt(fixture, DIGESTS - 2);
    const previousObject = fixture.store.object(DIGEST_BUCKET, previous.key);
    const { createHash } = await import('node:crypto');
    const { gunzipSync } = await import('node:zlib');
    const previousJson = gunzipSync(previousObject.bytes);
    const twice = previous.logFiles[0] ?? '';
    const twiceHash = createHash('sha256')
      .update(gunzipSync(fixture.store.object(ARCHIVE_BUCKET, twice).bytes))
      .digest('hex');
    putDigest(fixture.store, fixture.key, {
      key: newest.key,
      start: previous.endTime,
      end: newest.endTime,
      previous: {
        key: previous.key,
        hash: createHash('sha256').update(previousJson).digest('hex'),
        signature: previousObject.metadata.signature ?? '',
      },
      logFiles: [
        ...newest.logFiles.map((key) => ({
          key,
          hash: createHash('sha256')
            .update(gunzipSync(fixture.store.object(ARCHIVE_BUCKET, key).bytes))
            .digest('hex'),
        })),
        { key: twice, hash: twiceHash },
      ],
    });

    // Act
    const report = await validate(fixture);

    // Assess
    expect(kinds(report)).toEqual([{ kind: 'log-listed-twice', object: s3(ARCHIVE_BUCKET, twice) }]);
    expect(report.findings[0]?.reason).toBe(
      `listed by two digests: ${s3(DIGEST_BUCKET, newest.key)} and ${s3(DIGEST_BUCKET, previous.key)}`,
    );
  });

  it('names a signed digest of the trail that the chain never reaches', async () => {
    // Prepare: a validly signed digest between the last two, which the newest does not point to.
    const fixture = archive();
    const previous = digestAt(fixture, DIGESTS - 2);
    const aside = digestKeyAt(new Date(previous.endTime.getTime() + 1_800_000));
    putDigest(fixture.store, fixture.key, {
      key: aside,
      start: previous.endTime,
      end: new Date(previous.endTime.getTime() + 1_800_000),
      logFiles: [],
    });

    // Act
    const report = await validate(fixture);

    // Assess
    expect(kinds(report)).toEqual([{ kind: 'digest-not-in-chain', object: s3(DIGEST_BUCKET, aside) }]);
  });

  it('summarises as the AWS CLI does, then what it cannot see, then the verdict', async () => {
    // Prepare
    const fixture = archive();
    const foreign = archiveKeyAt(new Date('2026-12-02T07:30:00Z'), 'foreign');
    fixture.store.put(ARCHIVE_BUCKET, foreign, {
      bytes: gzipSync(eventsLine('forged')),
      metadata: {},
      lastModified: new Date('2026-12-02T07:30:00Z'),
    });
    fixture.store.delete(ARCHIVE_BUCKET, digestAt(fixture, 0).logFiles[0] ?? '');

    // Act
    const report = await validate(fixture);

    // Assess
    expect(summaryLines(report)).toEqual([
      'Results requested for 2026-12-02T05:00:00Z to 2026-12-02T10:30:00Z',
      'Results found for 2026-12-02T05:00:00Z to 2026-12-02T10:00:00Z:',
      '',
      '5/5 digest files valid',
      '9/10 log files valid, 1/10 log files INVALID',
      'Beyond the AWS CLI: archive objects listed by no digest (1)',
      '',
      'NOT verified: 2 findings',
    ]);
    expect(report.findings.map(findingLine)).toEqual([
      `Log file\t${s3(ARCHIVE_BUCKET, digestAt(fixture, 0).logFiles[0] ?? '')}\tINVALID: not found`,
      expect.stringMatching(new RegExp(`^Archive object\t${s3(ARCHIVE_BUCKET, foreign)}\tINVALID: written `)),
    ]);
  });

  it('refuses a trail ARN that DescribeTrails does not answer', async () => {
    // Prepare
    const fixture = archive();

    // Act
    const validation = validateArchive({ ...request(NOW, START), trailArn: `${TRAIL_ARN}-other` }, fixture);

    // Assess
    await expect(validation).rejects.toThrow(`A trail could not be found for ${TRAIL_ARN}-other`);
  });

  it('reads at most `concurrency` objects at once', async () => {
    // Prepare
    const fixture = archive();
    let open = 0;
    let most = 0;
    const store = {
      list: fixture.store.list.bind(fixture.store),
      get: async (bucket: string, key: string) => {
        open += 1;
        most = Math.max(most, open);
        await new Promise((resolve) => setImmediate(resolve));
        const object = await fixture.store.get(bucket, key);
        open -= 1;
        return object;
      },
    };

    // Act
    const report = await validateArchive({ ...request(NOW, START), concurrency: 2 }, { ...fixture, store });

    // Assess
    expect(verified(report)).toBe(true);
    expect(most).toBeLessThanOrEqual(2);
    expect(most).toBeGreaterThan(1);
  });
});
