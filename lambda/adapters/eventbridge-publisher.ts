import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { INSIGHT_DETAIL_TYPE, INSIGHT_EVENT_SOURCE } from '../core/insights/records.js';
import type { InsightPublisher } from '../core/insights/run.js';

/** Insight events on the OpenTrail bus (docs/insights.md), with the stable source and detail-type rules match. */
const ENTRIES_PER_CALL = 10;

export class EventBridgeInsightPublisher implements InsightPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
  ) {}

  async publish(recordJsons: readonly string[]): Promise<void> {
    for (let i = 0; i < recordJsons.length; i += ENTRIES_PER_CALL) {
      const entries = recordJsons.slice(i, i + ENTRIES_PER_CALL).map((detail) => ({
        EventBusName: this.eventBusName,
        Source: INSIGHT_EVENT_SOURCE,
        DetailType: INSIGHT_DETAIL_TYPE,
        Detail: detail,
      }));
      const output = await this.client.send(new PutEventsCommand({ Entries: entries }));
      // The run keeps the records in its outbox and retries them on the next run.
      if ((output.FailedEntryCount ?? 0) > 0)
        throw new Error(`${output.FailedEntryCount} insight events were not put on the bus`);
    }
  }
}
