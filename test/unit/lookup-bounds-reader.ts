import type { EventReader, ReadOptions } from '../../lambda/core/ports.js';

/**
 * A reader that counts what one lookup page asks of the store (tracker issue 13): calls by kind, records asked
 * for, the most calls outstanding at once, and the signal each call was given.
 */
export interface PageCalls {
  queries: number;
  catalogReads: number;
  recordReads: number;
  recordsAsked: number;
  inFlight: number;
  maxInFlight: number;
  readonly signals: AbortSignal[];
}

export const noCalls = (): PageCalls => ({
  queries: 0,
  catalogReads: 0,
  recordReads: 0,
  recordsAsked: 0,
  inFlight: 0,
  maxInFlight: 0,
  signals: [],
});

/** Query calls, catalog reads included: what LIMITS.lookupQueriesPerPage bounds. */
export const queryCalls = (calls: PageCalls): number => calls.queries + calls.catalogReads;

export const storeCalls = (calls: PageCalls): number => queryCalls(calls) + calls.recordReads;

/** `store` behind a counter: every call yields to the event loop first, so concurrency is real. */
export function counted(store: EventReader, calls: PageCalls): EventReader {
  const track = async <T>(
    kind: 'queries' | 'catalogReads' | 'recordReads',
    options: ReadOptions | undefined,
    read: () => Promise<T>,
  ): Promise<T> => {
    calls[kind]++;
    if (options?.signal) calls.signals.push(options.signal);
    calls.inFlight++;
    calls.maxInFlight = Math.max(calls.maxInFlight, calls.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return await read();
    } finally {
      calls.inFlight--;
    }
  };
  return {
    queryPartition: (partition, lowSk, highSk, limit, options) =>
      track('queries', options, () => store.queryPartition(partition, lowSk, highSk, limit)),
    readRecords: (eventIDs, options) => {
      calls.recordsAsked += eventIDs.length;
      return track('recordReads', options, () => store.readRecords(eventIDs));
    },
    readCatalog: (pk, range, options) => track('catalogReads', options, () => store.readCatalog(pk, range)),
  };
}
