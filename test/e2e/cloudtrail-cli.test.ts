import { execFile } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, PROJECT_ROOT } from '../../local/emulator.js';
import type { LocalModeConfig as WrittenLocalConfig } from '../../local/live-config.js';
import {
  type CredentialPair,
  type LocalModeProcess,
  startLocalModeProcess,
} from '../support/local-mode-process.js';

/**
 * The command-line paths of docs/cloudtrail-compat.md against `npm start`: the channel ARN from
 * .opentrail/local.json, the AWS CLI as it is and with the execute-api signing plugin (lookups, puts and the trail's
 * control-plane reads), and curl --aws-sigv4.
 */

const execFileAsync = promisify(execFile);
const available = async (command: string) =>
  execFileAsync(command, ['--version']).then(
    () => true,
    () => false,
  );
const [awsCliAvailable, curlAvailable] = await Promise.all([available('aws'), available('curl')]);

const READY_TIMEOUT_MS = 170_000;
const COMMAND_TIMEOUT_MS = 60_000;
const CLI_EVENTS = 3;
const STOP_TIMEOUT_MS = 20_000;
/** The digester's shortest interval (OPENTRAIL_DIGEST_INTERVAL_SECONDS' minimum), so its first run comes soon. */
const DIGEST_INTERVAL_SECONDS = 60;
const KEY_WAIT_MS = (DIGEST_INTERVAL_SECONDS + 90) * 1000;
const KEY_POLL_MS = 5_000;

describe('CloudTrail compatibility from the command line (npm start)', () => {
  let local: LocalModeProcess;
  let workDir: string;
  let cliEnvironment: NodeJS.ProcessEnv;

  /**
   * The AWS CLI with local mode's region and credentials (the full pair unless others are given); `plugin` loads
   * clients/python/opentrail_signing.py.
   */
  const aws = async (args: readonly string[], plugin = false, credentials?: CredentialPair) => {
    const { stdout, stderr } = await execFileAsync('aws', [...args, '--endpoint-url', local.config.apiUrl], {
      env: {
        ...cliEnvironment,
        ...(credentials === undefined
          ? {}
          : {
              AWS_ACCESS_KEY_ID: credentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
            }),
        AWS_CONFIG_FILE: join(workDir, plugin ? 'config-with-plugin' : 'config'),
        // AWS CLI v1 imports plugins from its Python path (v2 reads cli_legacy_plugin_path instead).
        ...(plugin ? { PYTHONPATH: join(PROJECT_ROOT, 'clients', 'python') } : {}),
      },
      timeout: COMMAND_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr };
  };

  beforeAll(async () => {
    const port = await findFreePort();
    local = await startLocalModeProcess(
      { OPENTRAIL_PORT: String(port), OPENTRAIL_DIGEST_INTERVAL_SECONDS: String(DIGEST_INTERVAL_SECONDS) },
      READY_TIMEOUT_MS,
    );
    workDir = await mkdtemp(join(tmpdir(), 'opentrail-cli-'));
    // validate-logs reads the digests with an S3 client of its own, which --endpoint-url does not reach.
    const { s3Endpoint }: WrittenLocalConfig = local.config;
    cliEnvironment = {
      ...(s3Endpoint === undefined ? {} : { AWS_ENDPOINT_URL_S3: s3Endpoint }),
      PATH: process.env.PATH,
      HOME: workDir,
      AWS_ACCESS_KEY_ID: local.config.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: local.config.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: local.config.region,
      AWS_SHARED_CREDENTIALS_FILE: join(workDir, 'credentials'),
    };
    await writeFile(join(workDir, 'config'), '[default]\n');
    await writeFile(
      join(workDir, 'config-with-plugin'),
      '[default]\n[plugins]\nopentrail = opentrail_signing\n',
    );
  });

  afterAll(async () => {
    // Ctrl+C lets local mode stop its emulator; SIGKILL alone would leave moto running.
    local?.signal('SIGINT');
    await local?.waitForExit(STOP_TIMEOUT_MS).catch(() => undefined);
    local?.kill();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('writes the default channel ARN and the API account to .opentrail/local.json', async () => {
    // Act
    const written = JSON.parse(await readFile(join(PROJECT_ROOT, '.opentrail', 'local.json'), 'utf8'));

    // Assess
    expect(written).toMatchObject({
      accountId: '000000000000',
      channelArn: `arn:aws:cloudtrail:${local.config.region}:000000000000:channel/default`,
    });
  });

  it.runIf(awsCliAvailable)(
    'puts with aws cloudtrail-data and pages with aws cloudtrail lookup-events, as the CLI signs by default',
    async () => {
      // Prepare
      const runId = `cli${Date.now()}`;
      const auditEvents = Array.from({ length: CLI_EVENTS }, (_, i) => ({
        id: `${runId}-${i}`,
        eventData: JSON.stringify({
          version: '1.0',
          userIdentity: { type: 'CliUser', principalId: runId },
          eventSource: 'cli.example.com',
          eventName: 'RunCommand',
          eventTime: new Date(Date.now() - (i + 1) * 1_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          UID: `${runId}-uid-${i}`,
          recipientAccountId: local.config.accountId,
        }),
      }));
      const eventsFile = join(workDir, 'audit-events.json');
      await writeFile(eventsFile, JSON.stringify(auditEvents));

      // Act
      const put = await aws([
        'cloudtrail-data',
        'put-audit-events',
        '--channel-arn',
        local.config.channelArn,
        '--audit-events',
        `file://${eventsFile}`,
      ]);
      // --page-size is MaxResults: the CLI follows NextToken itself, one event per page.
      const lookup = await aws([
        'cloudtrail',
        'lookup-events',
        '--lookup-attributes',
        `AttributeKey=Username,AttributeValue=${runId}`,
        '--page-size',
        '1',
      ]);

      // Assess
      const putOutput = JSON.parse(put.stdout) as { successful: Array<{ id: string }>; failed: unknown[] };
      expect(putOutput.failed).toEqual([]);
      expect(putOutput.successful.map((entry) => entry.id)).toEqual(auditEvents.map((event) => event.id));
      const events = (JSON.parse(lookup.stdout) as { Events: Array<{ Username: string; EventName: string }> })
        .Events;
      expect(events).toHaveLength(CLI_EVENTS);
      expect(events.every((event) => event.Username === runId && event.EventName === 'RunCommand')).toBe(
        true,
      );
    },
  );

  it.runIf(awsCliAvailable)('signs as execute-api with the documented CLI plugin', async () => {
    // Act
    const { stdout, stderr } = await aws(
      ['cloudtrail', 'lookup-events', '--max-items', '1', '--debug'],
      true,
    );

    // Assess
    expect(JSON.parse(stdout)).toHaveProperty('Events');
    expect(stderr).toMatch(/\/execute-api\/aws4_request/);
    expect(stderr).not.toMatch(/\/cloudtrail\/aws4_request/);
  });

  describe("the trail's control-plane reads (docs/cloudtrail-compat.md)", () => {
    /** What .opentrail/local.json says of the trail, as npm start wrote it before its ready line. */
    const written = (): WrittenLocalConfig => local.config;
    /** The CLI's answer as JSON: it exits 0 only when botocore parsed our answer against CloudTrail's model. */
    const read = async (args: readonly string[]) =>
      JSON.parse((await aws(['cloudtrail', ...args], true)).stdout) as Record<string, unknown>;

    it('writes the trail ARN to .opentrail/local.json', () => {
      // Assess
      expect(written().trailArn).toMatch(
        /^arn:aws:cloudtrail:[a-z0-9-]+:\d{12}:trail\/[A-Za-z0-9._-]{3,128}$/,
      );
    });

    it.runIf(awsCliAvailable)(
      'describe-trails and get-trail answer the trail as validate-logs reads it',
      async () => {
        // Act
        const described = await read(['describe-trails']);
        const byName = await read(['describe-trails', '--trail-name-list', written().trailArn ?? '']);
        const trail = await read(['get-trail', '--name', written().trailArn ?? '']);

        // Assess
        const [first] = described.trailList as Array<Record<string, unknown>>;
        expect(first).toMatchObject({
          TrailARN: written().trailArn,
          S3BucketName: written().digestBucketName,
          IsOrganizationTrail: false,
          IsMultiRegionTrail: false,
          LogFileValidationEnabled: true,
          HomeRegion: local.config.region,
        });
        expect(byName.trailList).toEqual(described.trailList);
        expect(trail.Trail).toEqual(first);
      },
    );

    it.runIf(awsCliAvailable)('list-trails and get-trail-status', async () => {
      // Act
      const trails = await read(['list-trails']);
      const status = await read(['get-trail-status', '--name', written().trailName ?? '']);

      // Assess
      expect(trails.Trails).toEqual([
        { TrailARN: written().trailArn, Name: written().trailName, HomeRegion: local.config.region },
      ]);
      expect(status.IsLogging).toBe(true);
    });

    it.runIf(awsCliAvailable)('get-event-selectors and get-insight-selectors answer the trail', async () => {
      // Act
      const selectors = await read(['get-event-selectors', '--trail-name', written().trailName ?? '']);
      const insights = await read(['get-insight-selectors', '--trail-name', written().trailArn ?? '']);

      // Assess: npm start's default trail keeps management reads and writes, and detects both insight types.
      expect(selectors).toEqual({
        TrailARN: written().trailArn,
        EventSelectors: [
          {
            ReadWriteType: 'All',
            IncludeManagementEvents: true,
            DataResources: [],
            ExcludeManagementEventSources: [],
          },
        ],
      });
      expect(insights).toEqual({
        TrailARN: written().trailArn,
        InsightSelectors: [
          { InsightType: 'ApiCallRateInsight', EventCategories: ['Management'] },
          { InsightType: 'ApiErrorRateInsight', EventCategories: ['Management', 'Data'] },
        ],
      });
    });

    it.runIf(awsCliAvailable)("names CloudTrail's exceptions: an unknown trail, a write", async () => {
      // Act
      const unknown = await aws(['cloudtrail', 'get-trail', '--name', 'nosuch'], true).catch(
        (error: { stderr: string }) => error.stderr,
      );
      const write = await aws(
        ['cloudtrail', 'start-logging', '--name', written().trailName ?? ''],
        true,
      ).catch((error: { stderr: string }) => error.stderr);

      // Assess
      expect(unknown).toMatch(/TrailNotFoundException/);
      expect(write).toMatch(/UnsupportedOperationException/);
    });

    it.runIf(awsCliAvailable)(
      'refuses a producer credential with 403, as it refuses LookupEvents',
      async () => {
        // Act
        const refusals = await Promise.all(
          [['describe-trails'], ['list-public-keys'], ['lookup-events', '--max-items', '1']].map((args) =>
            aws(['cloudtrail', ...args], true, local.config.producerCredentials).then(
              () => 'answered',
              (error: { stderr: string }) => error.stderr,
            ),
          ),
        );

        // Assess
        for (const refusal of refusals) expect(refusal).toMatch(/\(403\).*Forbidden/);
      },
    );

    it.runIf(awsCliAvailable)(
      "list-public-keys and get-trail-status answer the digester's key and digest, and validate-logs checks it",
      async () => {
        // Act: the digester registers its key and writes its first digest a DIGEST_INTERVAL_SECONDS after the start.
        type Keys = { PublicKeyList: Array<{ Value: string; Fingerprint: string }> };
        const poll = async () => ({
          keys: ((await read(['list-public-keys', '--start-time', '2020-01-01T00:00:00Z'])) as Keys)
            .PublicKeyList,
          status: await read(['get-trail-status', '--name', written().trailArn ?? '']),
        });
        const deadline = Date.now() + KEY_WAIT_MS;
        let { keys, status } = await poll();
        while (
          (keys.length === 0 || status.LatestDigestDeliveryTime === undefined) &&
          Date.now() < deadline
        ) {
          await sleep(KEY_POLL_MS);
          ({ keys, status } = await poll());
        }

        // Assess: validate-logs loads each Value with rsa.PublicKey.load_pkcs1(format='DER').
        expect(keys.length).toBeGreaterThan(0);
        for (const key of keys) {
          const publicKey = createPublicKey({
            key: Buffer.from(key.Value, 'base64'),
            format: 'der',
            type: 'pkcs1',
          });
          expect(publicKey.asymmetricKeyType).toBe('rsa');
          expect(key.Fingerprint).toMatch(/^[0-9a-f]{32}$/);
        }
        // The CLI prints awsJson times as sent: epoch seconds.
        expect(status).toMatchObject({
          IsLogging: true,
          LatestDigestDeliveryTime: expect.any(Number),
          StartLoggingTime: expect.any(Number),
        });
        // validate-logs finds the digests through DescribeTrails and checks them with ListPublicKeys' key.
        const startTime = new Date(Number(status.StartLoggingTime) * 1000 - 60_000).toISOString();
        const validated = await aws(
          ['cloudtrail', 'validate-logs', '--trail-arn', written().trailArn ?? '', '--start-time', startTime],
          true,
        );
        expect(validated.stdout).toMatch(/\b(\d+)\/\1 digest files valid/);
        expect(validated.stdout).not.toMatch(/INVALID/);
      },
      KEY_WAIT_MS + COMMAND_TIMEOUT_MS,
    );
  });

  it.runIf(curlAvailable)('puts and looks up with curl --aws-sigv4 signing as execute-api', async () => {
    // Prepare
    const runId = `curl${Date.now()}`;
    const curl = async (path: string, target: string | undefined, body: string) => {
      const { stdout } = await execFileAsync(
        'curl',
        [
          '--silent',
          '--show-error',
          '--fail-with-body',
          '--aws-sigv4',
          `aws:amz:${local.config.region}:execute-api`,
          '--user',
          `${local.config.credentials.accessKeyId}:${local.config.credentials.secretAccessKey}`,
          '--header',
          `Content-Type: ${target ? 'application/x-amz-json-1.1' : 'application/json'}`,
          ...(target ? ['--header', `X-Amz-Target: ${target}`] : []),
          '--data',
          body,
          `${local.config.apiUrl}${path}`,
        ],
        { timeout: COMMAND_TIMEOUT_MS },
      );
      return JSON.parse(stdout) as Record<string, unknown>;
    };
    const eventData = JSON.stringify({
      version: '1.0',
      userIdentity: { type: 'CurlUser', principalId: runId },
      eventSource: 'curl.example.com',
      eventName: 'Fetch',
      eventTime: new Date(Date.now() - 1_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      UID: runId,
      recipientAccountId: local.config.accountId,
    });

    // Act
    const put = await curl(
      `/PutAuditEvents?channelArn=${encodeURIComponent(local.config.channelArn)}`,
      undefined,
      JSON.stringify({ auditEvents: [{ id: runId, eventData }] }),
    );
    const lookup = await curl(
      '/',
      'CloudTrail_20131101.LookupEvents',
      JSON.stringify({ LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: runId }] }),
    );

    // Assess
    expect(put).toMatchObject({ successful: [{ id: runId }], failed: [] });
    expect(lookup.Events).toEqual([
      expect.objectContaining({ EventSource: 'curl.example.com', Username: runId }),
    ]);
  });
});
