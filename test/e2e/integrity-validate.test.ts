import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/emulator.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { eventually } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

// The functions log JSON to stdout; only their errors are of interest here.
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * Tamper evidence checked end to end in local mode (docs/integrity.md): the real `aws cloudtrail validate-logs`,
 * signing as execute-api with the plugin in clients/python, and `opentrail validate` (the built CLI) read the
 * digests local mode's digester writes. An untouched archive validates for both; a changed or deleted archive
 * object and a deleted or edited digest in the middle of the chain fail both, naming the object; an object the
 * trail never delivered and a deleted newest digest fail only ours, which names them.
 */

const execFileAsync = promisify(execFile);
const awsCliAvailable = await execFileAsync('aws', ['--version']).then(
  () => true,
  () => false,
);

/**
 * The digester's shortest period (its setting's minimum). It cuts a digest when run half a period or more after the
 * last one, so the test runs it itself and the chain grows by one digest every 30 s; the schedule's own first run
 * comes a period after start.
 */
const DIGEST_INTERVAL_SECONDS = 60;
const NEXT_DIGEST_TIMEOUT_MS = 45_000;
const COMMAND_TIMEOUT_MS = 30_000;
/** Objects delivered this close to the newest digest may wait for the next; none are delivered during the test. */
const GRACE_SECONDS = 5;
const OPENTRAIL_CLI = join(PROJECT_ROOT, 'clients', 'typescript', 'dist', 'cli', 'main.js');

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command's exit code and output, whatever the code. */
const run = async (command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<Outcome> =>
  execFileAsync(command, [...args], { env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code?: unknown; stdout?: string; stderr?: string }) => ({
      code: typeof error.code === 'number' ? error.code : -1,
      stdout: error.stdout ?? '',
      stderr: error.stderr ?? String(error),
    }),
  );

interface StoredCopy {
  readonly bytes: Uint8Array;
  readonly metadata: Record<string, string>;
}

interface DigestJson {
  readonly digestEndTime: string;
  readonly logFiles: ReadonlyArray<{ readonly s3Bucket: string; readonly s3Object: string }>;
}

describe.runIf(awsCliAvailable)('archive validation in local mode', () => {
  let local: LocalHandle;
  let s3: S3Client;
  let workDir: string;
  let configFile: string;
  let awsEnvironment: NodeJS.ProcessEnv;
  const startTime = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

  const digestBucket = () => local.integrity.digestBucketName;
  const archiveBucket = () => local.pipeline.bucketName;
  const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;

  const awsValidate = () =>
    run(
      'aws',
      [
        'cloudtrail',
        'validate-logs',
        '--trail-arn',
        local.integrity.trailArn,
        '--start-time',
        startTime,
        '--endpoint-url',
        local.apiUrl,
        '--verbose',
      ],
      awsEnvironment,
    );
  const opentrailValidate = (...extra: string[]) =>
    run(
      process.execPath,
      [
        OPENTRAIL_CLI,
        'validate',
        '--config',
        configFile,
        '--start-time',
        startTime,
        '--grace',
        String(GRACE_SECONDS),
        ...extra,
      ],
      { PATH: process.env.PATH, HOME: workDir },
    );
  /** Both validators at once (they only read). */
  const validateBoth = () => Promise.all([awsValidate(), opentrailValidate()]);

  const digestKeys = async (): Promise<string[]> => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: digestBucket() }));
    return (listed.Contents ?? []).flatMap(({ Key }) => (Key === undefined ? [] : [Key])).sort();
  };
  const read = async (bucket: string, key: string): Promise<StoredCopy> => {
    const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return {
      bytes: (await object.Body?.transformToByteArray()) ?? new Uint8Array(),
      metadata: object.Metadata ?? {},
    };
  };
  const write = (bucket: string, key: string, { bytes, metadata }: StoredCopy) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, Metadata: metadata }));
  const remove = (bucket: string, key: string) =>
    s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  const digestJson = async (key: string) =>
    JSON.parse(gunzipSync((await read(digestBucket(), key)).bytes).toString('utf8')) as DigestJson;

  /** Runs the digester until it cuts a digest (half a period after the last); returns the new digest's key. */
  const nextDigest = async (): Promise<string> => {
    const before = await digestKeys();
    return eventually(
      async () => {
        await local.runDigester();
        return (await digestKeys()).find((key) => !before.includes(key));
      },
      'the next digest',
      NEXT_DIGEST_TIMEOUT_MS,
      1_000,
    );
  };

  /** A tampering, both validators' answers, and the object put back as it was. */
  const whileTampered = async (
    bucket: string,
    key: string,
    tamper: (original: StoredCopy) => Promise<unknown>,
  ) => {
    const original = await read(bucket, key);
    await tamper(original);
    try {
      return await validateBoth();
    } finally {
      await write(bucket, key, original);
    }
  };

  /** An archive object the first digest lists. */
  let listedObject: string;

  beforeAll(async () => {
    local = await startLocal({
      archiveBufferSeconds: 1,
      console: false,
      integrity: { digestIntervalSeconds: DIGEST_INTERVAL_SECONDS },
    });
    s3 = new S3Client({
      region: local.region,
      endpoint: local.s3Endpoint,
      credentials: local.credentials,
      forcePathStyle: true,
    });
    workDir = await mkdtemp(join(tmpdir(), 'opentrail-validate-'));
    configFile = join(workDir, 'local.json');
    // What `npm start` writes to .opentrail/local.json, for this local mode.
    await writeFile(
      configFile,
      JSON.stringify({
        apiUrl: local.apiUrl,
        region: local.region,
        awsEndpoint: local.awsEndpoint,
        s3Endpoint: local.s3Endpoint,
        credentials: local.credentials,
        producerCredentials: local.producerCredentials,
        readerCredentials: local.readerCredentials,
        bucketName: archiveBucket(),
        trailArn: local.integrity.trailArn,
        digestIntervalSeconds: DIGEST_INTERVAL_SECONDS,
      }),
    );
    await writeFile(join(workDir, 'config'), '[default]\n[plugins]\nopentrail = opentrail_signing\n');
    awsEnvironment = {
      PATH: process.env.PATH,
      HOME: workDir,
      AWS_CONFIG_FILE: join(workDir, 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'credentials'),
      // AWS CLI v1 imports plugins from its Python path.
      PYTHONPATH: join(PROJECT_ROOT, 'clients', 'python'),
      // The reader pair: validation needs nothing a reader may not do.
      AWS_ACCESS_KEY_ID: local.readerCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: local.readerCredentials.secretAccessKey,
      AWS_DEFAULT_REGION: local.region,
      // --endpoint-url reaches only the CloudTrail client; S3 is the emulator's.
      AWS_ENDPOINT_URL_S3: local.s3Endpoint,
    };

    const put = await signedFetch(new URL('/events', local.apiUrl), {
      method: 'POST',
      body: JSON.stringify({
        events: ['CreateOrder', 'ShipOrder'].map((eventName) => ({
          eventSource: 'orders.example.com',
          eventName,
          userIdentity: { type: 'IAMUser', userName: 'validate-e2e' },
        })),
      }),
      credentials: local.producerCredentials,
      region: local.region,
    });
    expect(put.status).toBe(200);
    await eventually(async () => {
      const { notificationsSent, recordsBuffered } = local.firehose.stats();
      return notificationsSent > 0 && recordsBuffered === 0 ? true : undefined;
    }, 'the events archived and their notification sent');
    const first = await digestJson(await nextDigest());
    const [logFile] = first.logFiles;
    if (logFile === undefined) throw new Error('the first digest lists no archive object');
    listedObject = logFile.s3Object;
  });

  afterAll(async () => {
    s3?.destroy();
    await local?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('fails both when an archive object changed, naming it', async () => {
    // Act
    const [cli, ours] = await whileTampered(archiveBucket(), listedObject, () =>
      write(archiveBucket(), listedObject, { bytes: gzipSync('{"eventID":"forged"}\n'), metadata: {} }),
    );

    // Assess
    const line = `Log file\t${s3Uri(archiveBucket(), listedObject)}\tINVALID: hash value doesn't match`;
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(line);
    expect(ours.code).toBe(1);
    expect(ours.stderr).toContain(line);
  });

  it('fails both when an archive object is deleted, naming it', async () => {
    // Act
    const [cli, ours] = await whileTampered(archiveBucket(), listedObject, () =>
      remove(archiveBucket(), listedObject),
    );

    // Assess
    const line = `Log file\t${s3Uri(archiveBucket(), listedObject)}\tINVALID: not found`;
    expect(cli.code).not.toBe(0);
    expect(cli.stderr).toContain(line);
    expect(ours.code).toBe(1);
    expect(ours.stderr).toContain(line);
  });

  it('names an archive object the trail never delivered, which the AWS CLI passes', async () => {
    // Prepare: an object someone else wrote among the trail's, then the next digest, which does not list it.
    const foreign = listedObject.replace(/[^/]+$/, 'foreign-events.gz');
    await write(archiveBucket(), foreign, { bytes: gzipSync('{"eventID":"foreign"}\n'), metadata: {} });
    await nextDigest();

    // Act
    const [cli, ours] = await validateBoth().finally(() => remove(archiveBucket(), foreign));

    // Assess
    expect(cli.code).toBe(0);
    expect(cli.stdout).not.toContain(foreign);
    expect(ours.code).toBe(1);
    expect(ours.stderr).toContain(`Archive object\t${s3Uri(archiveBucket(), foreign)}\tINVALID: written `);
    expect(ours.stdout).toContain('Beyond the AWS CLI: archive objects listed by no digest (1)');
  });

  it('validates the untouched archive with the AWS CLI and with opentrail validate', async () => {
    // Act: every tampering above was put back.
    const [cli, ours] = await validateBoth();

    // Assess
    expect(cli.stderr).not.toContain('INVALID');
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain(`Log file\t${s3Uri(archiveBucket(), listedObject)}\tvalid`);
    expect(cli.stdout).toMatch(/\n2\/2 digest files valid\n/);
    expect(ours.stderr).not.toContain('INVALID');
    expect(ours.code).toBe(0);
    expect(ours.stdout).toContain('2/2 digest files valid');
    expect(ours.stdout).toContain('Verified: every digest and log file of the range checks');
  });

  describe('with a digest on each side of the middle one', () => {
    let middleDigest: string;

    beforeAll(async () => {
      const keys = await digestKeys();
      await nextDigest();
      middleDigest = keys.at(-1) ?? '';
    });

    it('fails both when a digest in the middle of the chain is deleted, naming it', async () => {
      // Act
      const [cli, ours] = await whileTampered(digestBucket(), middleDigest, () =>
        remove(digestBucket(), middleDigest),
      );

      // Assess
      const line = `Digest file\t${s3Uri(digestBucket(), middleDigest)}\tINVALID: not found`;
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain(line);
      expect(ours.code).toBe(1);
      expect(ours.stderr).toContain(line);
    });

    it('fails both when a digest in the middle of the chain is edited, naming it', async () => {
      // Act: the JSON lists one more object, the signature in its metadata stays.
      const [cli, ours] = await whileTampered(digestBucket(), middleDigest, async (original) => {
        const json = JSON.parse(gunzipSync(original.bytes).toString('utf8')) as DigestJson;
        const forged = {
          s3Bucket: archiveBucket(),
          s3Object: listedObject.replace(/[^/]+$/, 'forged-events.gz'),
          hashValue: '0'.repeat(64),
          hashAlgorithm: 'SHA-256',
          newestEventTime: null,
          oldestEventTime: null,
        };
        await write(digestBucket(), middleDigest, {
          bytes: gzipSync(JSON.stringify({ ...json, logFiles: [...json.logFiles, forged] })),
          metadata: original.metadata,
        });
      });

      // Assess
      const line = `Digest file\t${s3Uri(digestBucket(), middleDigest)}\tINVALID: signature verification failed`;
      expect(cli.code).not.toBe(0);
      expect(cli.stderr).toContain(line);
      expect(ours.code).toBe(1);
      expect(ours.stderr).toContain(line);
    });

    it('names a deleted newest digest from GetTrailStatus, which the AWS CLI cannot see', async () => {
      // Prepare: the newest digest goes; the digester's next run is a period away.
      const newest = (await digestKeys()).at(-1) ?? '';
      const original = await read(digestBucket(), newest);
      await remove(digestBucket(), newest);

      // Act
      const [cli, ours] = await Promise.all([awsValidate(), opentrailValidate('--json')]).finally(() =>
        write(digestBucket(), newest, original),
      );

      // Assess
      expect(cli.code).toBe(0);
      expect(cli.stdout).not.toContain(newest);
      const report = JSON.parse(ours.stdout) as {
        verified: boolean;
        findings: Array<{ kind: string; reason: string }>;
      };
      expect(ours.code).toBe(1);
      expect(report.verified).toBe(false);
      expect(report.findings).toEqual([
        expect.objectContaining({
          kind: 'digest-missing-newest',
          reason: expect.stringMatching(/^GetTrailStatus says a digest was delivered at /),
        }),
      ]);
    });
  });
});
