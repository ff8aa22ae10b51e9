import { EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSIGHT_DETAIL_TYPE, INSIGHT_EVENT_SOURCE } from '../../lambda/core/insights/records.js';
import { pageCount } from '../../lambda/core/keys.js';
import { type LocalHandle, startLocal } from '../../local/runner.js';
import { eventually } from '../support/pipeline-reader.js';
import { signedFetch } from '../support/signed-fetch.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

const BASELINE_MINUTES = 180;

/**
 * Insights end to end in local mode: back-dated traffic builds three hours of history through the API, then a
 * burst of CreateUser calls; the counter consumer counts them from the stream, the scheduled function (run on
 * demand here) opens an insight, which a lookup with EventCategory=insight finds and an EventBridge rule on the
 * insights bus delivers to an SQS queue.
 */
describe('insights in local mode', () => {
  let local: LocalHandle;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    local = await startLocal({ insights: { baselineMinutes: BASELINE_MINUTES, intervalSeconds: 3600 } });
    const config = { region: local.region, endpoint: local.awsEndpoint, credentials: local.credentials };
    sqs = new SQSClient(config);
    const events = new EventBridgeClient(config);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'insight-subscriber' }))).QueueUrl ?? '';
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
    );
    await events.send(
      new PutRuleCommand({
        Name: 'insight-starts',
        EventBusName: local.eventBusName,
        EventPattern: JSON.stringify({
          source: [INSIGHT_EVENT_SOURCE],
          'detail-type': [INSIGHT_DETAIL_TYPE],
          detail: { insightDetails: { state: ['Start'] } },
        }),
      }),
    );
    await events.send(
      new PutTargetsCommand({
        Rule: 'insight-starts',
        EventBusName: local.eventBusName,
        Targets: [{ Id: 'queue', Arn: Attributes?.QueueArn }],
      }),
    );
    events.destroy();
  });

  afterAll(async () => {
    sqs?.destroy();
    await local?.stop();
  });

  const api = (path: string, init: { method?: string; body?: string } = {}) =>
    signedFetch(new URL(path, local.apiUrl), {
      ...init,
      credentials: local.credentials,
      region: local.region,
    });

  it('opens an insight on a burst, stores it for EventCategory=insight lookups, and puts it on the bus', async () => {
    // Prepare: 3 hours of 4 calls a minute, then 3 minutes of 120 calls a minute, ending 3 minutes ago.
    const nowMinute = Math.floor(Date.now() / 60_000);
    const event = (minute: number, i: number) => ({
      eventSource: 'iam.example.com',
      eventName: 'CreateUser',
      eventTime: new Date(minute * 60_000 + (i % 60) * 1000).toISOString(),
      userIdentity: { type: 'IAMUser', userName: minute >= nowMinute - 5 ? 'mallory' : 'provisioner' },
    });
    const all: unknown[] = [];
    for (let minute = nowMinute - BASELINE_MINUTES; minute < nowMinute - 5; minute++) {
      for (let i = 0; i < 4; i++) all.push(event(minute, i));
    }
    for (let minute = nowMinute - 5; minute < nowMinute - 2; minute++) {
      for (let i = 0; i < 120; i++) all.push(event(minute, i));
    }
    const eventIDs: string[] = [];
    for (let start = 0; start < all.length; start += 100) {
      const response = await api('/events', {
        method: 'POST',
        body: JSON.stringify({ events: all.slice(start, start + 100) }),
      });
      const body = (await response.json()) as { failed: unknown[]; successful: Array<{ eventID: string }> };
      expect(body).toMatchObject({ failed: [] });
      eventIDs.push(...body.successful.map(({ eventID }) => eventID));
    }
    // The stream carries pages: the counter consumer is through when it has every page of these events.
    const pages = pageCount(eventIDs);
    await eventually(
      async () => (local.streamStats().insightsCounter.recordsDelivered >= pages ? true : undefined),
      'the counter consumer through every event',
      60_000,
    );

    // Act
    const summary = await local.runInsights();
    const insights = (await (await api('/events?EventCategory=insight')).json()) as {
      events: Array<{
        eventName: string;
        eventCategory: string;
        insightDetails: { state: string; insightType: string };
      }>;
    };
    const plain = (await (await api('/events?EventName=CreateUser&maxResults=1000')).json()) as {
      events: Array<{ eventCategory: string }>;
    };
    const delivered = await eventually(async () => {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }),
      );
      return Messages && Messages.length > 0 ? Messages : undefined;
    }, 'the insight on the subscriber queue');

    // Assess
    expect(summary.started).toBe(1);
    expect(insights.events).toEqual([
      expect.objectContaining({
        eventName: 'CreateUser',
        eventCategory: 'Insight',
        insightDetails: expect.objectContaining({ state: 'Start', insightType: 'ApiCallRateInsight' }),
      }),
    ]);
    expect(plain.events.every((record) => record.eventCategory !== 'Insight')).toBe(true);
    const message = JSON.parse(delivered[0]?.Body ?? '{}') as {
      source: string;
      detail: { sharedEventID: string };
    };
    expect(message.source).toBe(INSIGHT_EVENT_SOURCE);
    expect(message.detail.sharedEventID).toBe(
      (insights.events[0] as unknown as { sharedEventID: string }).sharedEventID,
    );
  });
});
