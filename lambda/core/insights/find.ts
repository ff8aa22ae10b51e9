import { RequestError } from '../errors.js';
import type { TrailRecord } from '../event-model.js';
import { lookupEvents } from '../lookup.js';
import type { EventReader } from '../ports.js';
import type { InsightPair } from './series.js';

/**
 * An insight's Start (and End, once closed) by sharedEventID. The id is a hash of the key and the start minute
 * (records.ts sharedEventIdOf), so the records' eventIDs cannot be derived from it: the finder reads the trail's
 * insight records (EventCategory=insight: their own partitions, a handful a day) newest first until it meets the
 * Start. An End is newer than its Start, so it is met first.
 */

/** Insight records one search reads at most: far more than a trail keeps over its retention in practice. */
export const MAX_INSIGHT_RECORDS_SEARCHED = 5000;
const PAGE = 1000;

export interface FindInsightOptions {
  readonly writeShards: number;
  readonly notBeforeMs: number;
  readonly nowMs: number;
  readonly signal?: AbortSignal;
}

export async function findInsight(
  sharedEventID: string,
  reader: EventReader,
  options: FindInsightOptions,
): Promise<InsightPair> {
  let end: TrailRecord | undefined;
  let afterEventID: string | undefined;
  for (let searched = 0; searched < MAX_INSIGHT_RECORDS_SEARCHED; searched += PAGE) {
    const page = await lookupEvents(
      {
        attributes: {},
        eventCategory: 'insight',
        startMs: options.notBeforeMs,
        endMs: options.nowMs,
        maxResults: PAGE,
        ...(afterEventID === undefined ? {} : { afterEventID }),
      },
      reader,
      { writeShards: options.writeShards, ...(options.signal ? { signal: options.signal } : {}) },
    );
    for (const json of page.records) {
      const record = JSON.parse(json) as TrailRecord;
      if (record.sharedEventID !== sharedEventID) continue;
      const state = (record.insightDetails as { state?: unknown } | undefined)?.state;
      if (state === 'End') end = record;
      else return { start: record, ...(end === undefined ? {} : { end }) };
    }
    if (page.lastEventID === undefined) break;
    afterEventID = page.lastEventID;
  }
  throw new RequestError('InsightNotFound', `no insight with sharedEventID ${sharedEventID}`);
}
