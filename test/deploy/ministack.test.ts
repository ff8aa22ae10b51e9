import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MINISTACK_CONTEXT, type MiniStack, miniStackApiUrl, startMiniStack } from '../../local/ministack.js';
import {
  type DeployedStack,
  deployToEmulator,
  destroyInEmulator,
  STACK_NAME,
} from '../../scripts/deploy-local.js';
import { eventually, type PipelineReader, pipelineReader } from '../support/pipeline-reader.js';
import { type SignedFetchOptions, signedFetch } from '../support/signed-fetch.js';

// MiniStack runs with its IAM evaluator off (local/ministack.ts), so any key pair signs.
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const REGION = 'us-east-1';
/** Stream mapping -> archive function -> Firehose -> S3 takes about a second in MiniStack; this is the bound. */
const PIPELINE_TIMEOUT_MS = 60_000;

interface PutEventsResponse {
  readonly successful: readonly { readonly index: number; readonly eventID: string }[];
  readonly failed: readonly unknown[];
}

describe('the synthesized stack deployed to MiniStack', () => {
  let miniStack: MiniStack | undefined;
  let deployed: DeployedStack;
  let apiUrl: string;
  let reader: PipelineReader | undefined;
  // Kept from the deploy for the destroy, which then needs no second synth.
  let assemblyDir: string | undefined;
  // A name no other run uses, so lookups and archive lines are this run's.
  const eventName = `DeployTest${randomUUID().replaceAll('-', '')}`;
  let eventID: string;

  const api = (path: string, init: Omit<SignedFetchOptions, 'credentials' | 'region'> = {}) =>
    signedFetch(new URL(path, apiUrl), {
      timeoutMs: 30_000,
      ...init,
      credentials: CREDENTIALS,
      region: REGION,
    });

  const outputOf = (key: string): string => {
    const value = deployed.outputs[key];
    if (value === undefined) throw new Error(`The stack has no output ${key}`);
    return value;
  };

  beforeAll(async () => {
    miniStack = await startMiniStack();
    assemblyDir = await mkdtemp(join(tmpdir(), 'opentrail-assembly-'));
    deployed = await deployToEmulator({
      endpoint: miniStack.url,
      credentials: CREDENTIALS,
      region: REGION,
      context: MINISTACK_CONTEXT,
      assemblyDir,
    });
    apiUrl = miniStackApiUrl(miniStack.url, outputOf('ApiUrl'));
    reader = pipelineReader(
      { region: REGION, awsEndpoint: miniStack.url, credentials: CREDENTIALS },
      { archiveObjectFormat: 'uncompressedByMiniStack' },
    );
  });

  afterAll(async () => {
    reader?.destroy();
    await miniStack?.stop();
    if (assemblyDir !== undefined) await rm(assemblyDir, { recursive: true, force: true });
  });

  it('deploys the stack synthesized without saved Athena queries, with the outputs a user needs', async () => {
    // Prepare
    const template = JSON.parse(
      await readFile(join(assemblyDir ?? '', `${STACK_NAME}.template.json`), 'utf8'),
    ) as { Resources: Record<string, { Type: string }> };
    const types = new Set(Object.values(template.Resources).map((resource) => resource.Type));

    // Assess: -c athenaQueries=false left the saved queries out and kept the Glue table.
    expect(types).not.toContain('AWS::Athena::NamedQuery');
    expect(types).toContain('AWS::Glue::Table');
    expect(deployed.outputs).toMatchObject({
      ApiUrl: expect.stringMatching(/^https:\/\/[a-z0-9]+\.execute-api\.us-east-1\.amazonaws\.com\/$/),
      TableName: expect.any(String),
      ArchiveBucketName: expect.any(String),
      DeliveryStreamName: expect.any(String),
      EventLogGroupName: expect.any(String),
      AthenaDatabase: expect.any(String),
      AthenaTable: 'events_raw',
      ArchiveDlqUrl: expect.stringContaining('/000000000000/'),
      LogForwardDlqUrl: expect.stringContaining('/000000000000/'),
      EventBusName: expect.any(String),
    });
    expect(apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/_aws\/execute-api\/[a-z0-9]+\/\$default\/$/);
  });

  it('refuses an unsigned request, as the IAM authorizer on every route would', async () => {
    // Act
    const response = await fetch(new URL('events', apiUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventSource: 'orders.example.com', eventName }),
      signal: AbortSignal.timeout(10_000),
    });

    // Assess
    expect(response.status).toBe(403);
  });

  it('stores a signed POST /events that GET /events/{eventId} and a lookup by EventName return', async () => {
    // Prepare
    const event = {
      eventSource: 'orders.example.com',
      eventName,
      userIdentity: { type: 'IAMUser', userName: 'deploy-test' },
      requestParameters: { orderId: 'o-1' },
    };

    // Act
    const put = await api('events', { method: 'POST', body: JSON.stringify(event) });
    const putBody = (await put.json()) as PutEventsResponse;
    eventID = putBody.successful[0]?.eventID ?? '';
    const got = await api(`events/${eventID}`);
    const lookup = await api(`events?EventName=${eventName}`);

    // Assess
    expect(put.status).toBe(200);
    expect(putBody).toMatchObject({ successful: [{ index: 0, eventID: expect.any(String) }], failed: [] });
    expect(got.status).toBe(200);
    expect(await got.json()).toMatchObject({ ...event, eventID, eventVersion: '1.11', awsRegion: REGION });
    expect(lookup.status).toBe(200);
    const { events } = (await lookup.json()) as { events: { eventID: string }[] };
    expect(events.map((found) => found.eventID)).toEqual([eventID]);
  });

  it('answers CloudTrail LookupEvents on POST / of the deployed API, as existing CloudTrail clients send it', async () => {
    // Prepare
    const body = JSON.stringify({
      LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: eventName }],
    });

    // Act
    const response = await api('', {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'CloudTrail_20131101.LookupEvents',
      },
    });

    // Assess
    expect(response.status).toBe(200);
    const { Events } = (await response.json()) as { Events: { EventId: string; EventName: string }[] };
    expect(Events).toEqual([expect.objectContaining({ EventId: eventID, EventName: eventName })]);
  });

  it('archives the event in the S3 bucket through the stream consumer and Firehose', async () => {
    // Act
    const archived = await eventually(
      async () => {
        const lines = await reader?.archiveLines(outputOf('ArchiveBucketName'));
        const mine = lines?.filter(({ line }) => line.includes(eventID));
        return mine !== undefined && mine.length > 0 ? mine : undefined;
      },
      'the event in the archive bucket',
      PIPELINE_TIMEOUT_MS,
      500,
    );

    // Assess
    expect(archived).toHaveLength(1);
    expect(archived[0]?.key).toMatch(/^events\/\d{4}\/\d{2}\/\d{2}\/\d{2}\//);
    expect(JSON.parse(archived[0]?.line ?? '{}')).toMatchObject({ eventID, eventName });
  });

  it('forwards the event to the event log group as one JSON line', async () => {
    // Act
    const logged = await eventually(
      async () => {
        const mine = (await reader?.logMessages(outputOf('EventLogGroupName')))?.filter((message) =>
          message.includes(eventID),
        );
        return mine !== undefined && mine.length > 0 ? mine : undefined;
      },
      'the event in the log group',
      PIPELINE_TIMEOUT_MS,
      500,
    );

    // Assess
    expect(logged.map((message) => JSON.parse(message) as unknown)).toEqual([
      expect.objectContaining({ eventID, eventName }),
    ]);
  });

  it('deletes the stack with cdklocal destroy, after which the API is gone', async () => {
    // Act
    await destroyInEmulator({
      endpoint: miniStack?.url ?? '',
      credentials: CREDENTIALS,
      region: REGION,
      assemblyDir,
    });
    const afterDestroy = await api(`events/${eventID}`);

    // Assess
    expect(afterDestroy.status).toBe(404);
  });
});
