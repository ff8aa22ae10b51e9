import { createHash, verify } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { type DigestFile, digestStringToSign } from '../../../lambda/core/integrity/digest-file.js';
import {
  type DigesterConfig,
  type DigesterPorts,
  runDigester,
} from '../../../lambda/core/integrity/digester.js';
import {
  ARCHIVE_BUCKET,
  archiveObject,
  MemoryDigests,
  MemoryLedger,
  MemoryObjects,
  MemoryQueue,
  notification,
  pkcs1PublicKey,
  RsaSigner,
  WRITER,
} from './integrity-kit.js';

const HOUR_MS = 3600_000;
const START_MS = Date.parse('2026-12-02T01:00:00Z');

const CONFIG: DigesterConfig = {
  trail: { accountId: '123456789012', region: 'us-east-1', name: 'opentrail' },
  writer: { bucket: ARCHIVE_BUCKET, principalPrefix: WRITER },
  digestBucket: 'digest-bucket',
  digestKeyPrefix: '',
  intervalSeconds: 3600,
};

/** A digester over in-memory ports with a clock the test moves. */
function kit() {
  const ports = {
    ledger: new MemoryLedger(),
    deliveries: new MemoryQueue(),
    archive: new MemoryObjects(),
    signer: new RsaSigner('arn:aws:kms:us-east-1:123456789012:key/first'),
    digests: new MemoryDigests(),
  } satisfies DigesterPorts;
  let nowMs = START_MS;
  const deliver = (key: string, eventTimes: readonly string[] = ['2026-12-02T01:00:00Z']) => {
    ports.archive.put(ARCHIVE_BUCKET, key, archiveObject(eventTimes));
    ports.deliveries.send(notification(key));
  };
  const run = (changes: Partial<DigesterPorts> = {}, config: DigesterConfig = CONFIG) =>
    runDigester({ ...ports, ...changes }, config, { now: () => nowMs, deadlineMs: nowMs + 15 * 60_000 });
  const advance = (ms: number) => {
    nowMs += ms;
    // A later run: messages a run received and did not delete are visible again.
    ports.deliveries.endVisibility();
  };
  const digests = () => ports.digests.puts.map((put) => JSON.parse(put.json) as DigestFile);
  return { ports, deliver, run, advance, digests };
}

const listed = (digest: DigestFile | undefined) => digest?.logFiles.map((file) => file.s3Object) ?? [];

describe('the digester', () => {
  it('lists each delivered object in exactly one digest, a late one in the next, when deliveries span periods', async () => {
    // Prepare
    const { deliver, run, advance, digests } = kit();
    deliver('events/2026/12/02/00/a.gz');
    deliver('events/2026/12/02/00/b.gz');

    // Act: the first run; an object of the first hour arrives after it (Firehose late), then the second run.
    await run();
    deliver('events/2026/12/02/00/late.gz');
    advance(HOUR_MS);
    await run();
    advance(HOUR_MS);
    await run();

    // Assess
    const [first, second, third] = digests();
    expect(listed(first)).toEqual(['events/2026/12/02/00/a.gz', 'events/2026/12/02/00/b.gz']);
    expect(listed(second)).toEqual(['events/2026/12/02/00/late.gz']);
    expect(listed(third)).toEqual([]);
    expect(digests().flatMap(listed)).toHaveLength(3);
  });

  it('records an object once and lists it once when S3 delivers its notification twice', async () => {
    // Prepare
    const { ports, deliver, run, advance, digests } = kit();
    deliver('events/2026/12/02/00/a.gz');
    ports.deliveries.send(notification('events/2026/12/02/00/a.gz'));

    // Act
    const firstRun = await run();
    ports.deliveries.send(notification('events/2026/12/02/00/a.gz'));
    advance(HOUR_MS);
    const secondRun = await run();

    // Assess
    expect(firstRun).toMatchObject({ recorded: 1, duplicates: 1 });
    expect(secondRun).toMatchObject({ recorded: 0, duplicates: 1 });
    expect(digests().flatMap(listed)).toEqual(['events/2026/12/02/00/a.gz']);
  });

  it('writes a digest chained to the previous one with a valid signature when a period is empty', async () => {
    // Prepare
    const { ports, deliver, run, advance, digests } = kit();
    deliver('events/2026/12/02/00/a.gz');

    // Act
    await run();
    advance(HOUR_MS);
    await run();

    // Assess
    const [first, second] = digests();
    const puts = ports.digests.puts;
    expect(second?.logFiles).toEqual([]);
    expect(second?.digestStartTime).toBe(first?.digestEndTime);
    expect(second?.previousDigestS3Bucket).toBe('digest-bucket');
    expect(second?.previousDigestS3Object).toBe(first?.digestS3Object);
    expect(second?.previousDigestSignature).toBe(puts[0]?.signature);
    expect(second?.previousDigestHashValue).toBe(
      createHash('sha256')
        .update(puts[0]?.json ?? '')
        .digest('hex'),
    );
    expect(first?.previousDigestSignature).toBeNull();
    const key = pkcs1PublicKey([...ports.ledger.keyItems.values()][0]?.publicKeyPkcs1 ?? '');
    for (const put of puts) {
      const digest = JSON.parse(put.json) as DigestFile;
      expect(
        verify(
          'sha256',
          Buffer.from(digestStringToSign(digest, put.json)),
          key,
          Buffer.from(put.signature, 'hex'),
        ),
      ).toBe(true);
    }
  });

  it('lists the object with the SHA-256 of its inflated member and its newest and oldest event times', async () => {
    // Prepare
    const { ports, run, digests } = kit();
    const body = archiveObject(['2026-12-02T00:59:00Z', '2026-12-02T00:10:00Z', '2026-12-02T00:30:00Z']);
    ports.archive.put(ARCHIVE_BUCKET, 'events/x.gz', body);
    ports.deliveries.send(notification('events/x.gz'));

    // Act
    await run();

    // Assess
    const inflated = (await import('node:zlib')).gunzipSync(body);
    expect(digests()[0]?.logFiles).toEqual([
      {
        s3Bucket: ARCHIVE_BUCKET,
        s3Object: 'events/x.gz',
        hashValue: createHash('sha256').update(inflated).digest('hex'),
        hashAlgorithm: 'SHA-256',
        newestEventTime: '2026-12-02T00:59:00Z',
        oldestEventTime: '2026-12-02T00:10:00Z',
      },
    ]);
    expect(digests()[0]).toMatchObject({
      newestEventTime: '2026-12-02T00:59:00Z',
      oldestEventTime: '2026-12-02T00:10:00Z',
    });
  });

  it('finishes the digest a stopped run claimed, with the same objects and key, when the next run starts', async () => {
    // Prepare
    const { ports, deliver, run, advance, digests } = kit();
    deliver('events/a.gz');
    ports.digests.failNextPut = true;

    // Act: the run claims its digest and stops before the put; a late object arrives; the next run resumes.
    await expect(run()).rejects.toThrow(/the run stopped/);
    const claimed = ports.ledger.headItem.inProgress;
    deliver('events/late.gz');
    advance(HOUR_MS);
    const resumedRun = await run();

    // Assess
    expect(resumedRun.resumed).toBe(true);
    const [resumed, next] = digests();
    expect(resumed?.digestS3Object).toBe(claimed?.digestS3Object);
    expect(resumed?.digestEndTime).toBe('2026-12-02T01:00:00Z');
    expect(listed(resumed)).toEqual(['events/a.gz']);
    expect(listed(next)).toEqual(['events/late.gz']);
    expect(next?.previousDigestS3Object).toBe(resumed?.digestS3Object);
    expect(ports.ledger.headItem.inProgress).toBeUndefined();
  });

  it('writes byte for byte the same digest when a stopped run is finished twice', async () => {
    // Prepare: two ledgers in the same state, one finished once, one stopped after its put and finished again.
    const { ports, deliver, run } = kit();
    deliver('events/a.gz');
    await run();
    const [written] = ports.digests.puts;
    const { inProgress: _none, ...head } = ports.ledger.headItem;
    expect(written).toBeDefined();

    // Act: replay the claim as if the head had never advanced.
    ports.ledger.headItem = {
      ...head,
      lastDigestS3Object: undefined,
      lastDigestS3Bucket: undefined,
      lastDigestSignature: undefined,
      lastDigestHashValue: undefined,
      lastDigestEndTime: undefined,
      inProgress: {
        digestS3Object: JSON.parse(written?.json ?? '{}').digestS3Object,
        digestStartTime: '2026-12-02T00:00:00Z',
        digestEndTime: '2026-12-02T01:00:00Z',
        objects: [`${ARCHIVE_BUCKET}/events/a.gz`],
      },
    };
    await run();

    // Assess
    expect(ports.digests.puts[1]?.json).toBe(written?.json);
    expect(ports.digests.puts[1]?.signature).toBe(written?.signature);
  });

  it('never records or digests an object another principal wrote or one outside events/, and reports each', async () => {
    // Prepare
    const { ports, deliver, run, digests } = kit();
    deliver('events/ours.gz');
    ports.archive.put(ARCHIVE_BUCKET, 'events/planted.gz', archiveObject(['2026-12-02T00:00:00Z']));
    ports.deliveries.send(notification('events/planted.gz', { principalId: 'AWS:AIDAINTRUDER' }));
    ports.deliveries.send(notification('events-other/x.gz'));
    ports.deliveries.send('not json');

    // Act
    const summary = await run();

    // Assess
    expect(summary.foreign).toEqual([
      { bucket: ARCHIVE_BUCKET, key: 'events/planted.gz', principalId: 'AWS:AIDAINTRUDER' },
      { bucket: ARCHIVE_BUCKET, key: 'events-other/x.gz', principalId: `${WRITER}FirehoseSession` },
    ]);
    expect(summary.malformed).toBe(1);
    expect(listed(digests()[0])).toEqual(['events/ours.gz']);
    expect([...ports.ledger.objectItems.keys()]).toEqual([`${ARCHIVE_BUCKET}/events/ours.gz`]);
    expect(ports.deliveries.messages.size).toBe(0);
  });

  it('refuses a multi-member object: recorded as refused, in no digest, and reported', async () => {
    // Prepare
    const { ports, run, digests } = kit();
    const twoMembers = Buffer.concat([
      archiveObject(['2026-12-02T00:00:00Z']),
      gzipSync('{"eventTime":"x"}\n'),
    ]);
    ports.archive.put(ARCHIVE_BUCKET, 'events/two.gz', twoMembers);
    ports.deliveries.send(notification('events/two.gz'));

    // Act
    const summary = await run();

    // Assess
    expect(summary.refused).toEqual([
      {
        bucket: ARCHIVE_BUCKET,
        key: 'events/two.gz',
        reason: expect.stringMatching(/follow the first gzip member/),
      },
    ]);
    expect(ports.ledger.objectItems.get(`${ARCHIVE_BUCKET}/events/two.gz`)).toMatchObject({
      status: 'refused',
    });
    expect(digests()[0]?.logFiles).toEqual([]);
  });

  it('leaves a notification in the queue when its object cannot be read, and digests it once read', async () => {
    // Prepare
    const { ports, deliver, run, advance, digests } = kit();
    deliver('events/a.gz');
    ports.archive.failNextRead.add(`${ARCHIVE_BUCKET}/events/a.gz`);

    // Act
    const first = await run();
    advance(HOUR_MS);
    await run();

    // Assess
    expect(first.retried).toBe(1);
    expect(listed(digests()[0])).toEqual([]);
    expect(listed(digests()[1])).toEqual(['events/a.gz']);
  });

  it('keeps objects beyond a digest bound pending for the next digest, each listed once', async () => {
    // Prepare
    const { deliver, run, advance, digests } = kit();
    for (const name of ['a', 'b', 'c', 'd', 'e']) deliver(`events/${name}.gz`);
    const config = { ...CONFIG, limits: { objectsPerDigest: 2, objectsPerRun: 3 } };

    // Act
    for (let hour = 0; hour < 3; hour += 1) {
      await run({}, config);
      advance(HOUR_MS);
    }

    // Assess
    expect(digests().map(listed)).toEqual([
      ['events/a.gz', 'events/b.gz'],
      ['events/c.gz', 'events/d.gz'],
      ['events/e.gz'],
    ]);
  });

  it('records and leaves the digest to the next run when invoked again within half an interval', async () => {
    // Prepare
    const { deliver, run, advance, digests } = kit();
    await run();
    deliver('events/a.gz');

    // Act
    advance(60_000);
    const again = await run();

    // Assess
    expect(again.digest).toBeUndefined();
    expect(again.recorded).toBe(1);
    expect(digests()).toHaveLength(1);
  });

  it('ends the old key where the new one starts and keeps old digests verifiable when the key rotates', async () => {
    // Prepare
    const { ports, deliver, run, advance } = kit();
    deliver('events/a.gz');
    await run();
    const rotated = new RsaSigner('arn:aws:kms:us-east-1:123456789012:key/second');

    // Act
    advance(HOUR_MS);
    const summary = await run({ signer: rotated });

    // Assess
    const keys = [...ports.ledger.keyItems.values()].sort((a, b) =>
      a.validityStart < b.validityStart ? -1 : 1,
    );
    expect(summary.signingKey.registered).toBe(true);
    expect(
      keys.map(({ keyId, validityStart, validityEnd }) => ({ keyId, validityStart, validityEnd })),
    ).toEqual([
      {
        keyId: ports.signer.keyId,
        validityStart: '2026-12-02T01:00:00Z',
        validityEnd: '2026-12-02T02:00:00Z',
      },
      { keyId: rotated.keyId, validityStart: '2026-12-02T02:00:00Z', validityEnd: undefined },
    ]);
    ports.digests.puts.forEach((put, index) => {
      const digest = JSON.parse(put.json) as DigestFile;
      const key = keys.find((candidate) => candidate.fingerprint === digest.digestPublicKeyFingerprint);
      expect(key?.keyId).toBe(index === 0 ? ports.signer.keyId : rotated.keyId);
      expect(
        verify(
          'sha256',
          Buffer.from(digestStringToSign(digest, put.json)),
          pkcs1PublicKey(key?.publicKeyPkcs1 ?? ''),
          Buffer.from(put.signature, 'hex'),
        ),
      ).toBe(true);
    });
  });
});
