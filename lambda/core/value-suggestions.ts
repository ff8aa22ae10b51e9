import { RequestError } from './errors.js';
import { byteLength, type TrailRecord } from './event-model.js';
import { lookupUsername } from './identity.js';
import { catalogCounterKey, INSIGHT_KEYS_CATALOG_PK } from './insights/key-catalog.js';
import { SOURCE_CATALOG_PK } from './keys.js';
import { LIMITS } from './limits.js';
import { lookupEvents } from './lookup.js';
import type { EventReader, ReadOptions } from './ports.js';

/**
 * Value suggestions for the console's filters (GET /values/{attribute}, docs/console.md), from what the table
 * already holds, with one bounded read and never a Scan:
 * - EventSource: the source catalog (C#SOURCES), every source the trail has stored.
 * - EventName: the insight key catalog (C#INSIGHTKEYS): the names of write calls and failed calls counted over the
 *   insights baseline window (read-only calls are not catalogued anywhere).
 * - Username: no user catalog exists, so the users of the newest events: one lookup page without attributes.
 * The suggestions are the distinct values that start with `prefix`, sorted, at most `maxResults`; `truncated`
 * says the read stopped at its bound, so more values may exist.
 */

export const SUGGESTION_ATTRIBUTES = ['EventSource', 'EventName', 'Username'] as const;
export type SuggestionAttribute = (typeof SUGGESTION_ATTRIBUTES)[number];

export const SUGGESTIONS_MAX_RESULTS = 100;
const SUGGESTIONS_DEFAULT_RESULTS = 25;
/** Catalog entries one request reads at most (one Query of a few pages: entries are under 2 KB). */
export const SUGGESTIONS_CATALOG_ENTRIES = 1000;
/** The newest events whose users are suggested. */
export const SUGGESTIONS_RECENT_EVENTS = 200;

export interface SuggestionRequest {
  readonly attribute: SuggestionAttribute;
  readonly prefix: string;
  readonly maxResults: number;
}

export interface Suggestions {
  readonly attribute: SuggestionAttribute;
  readonly values: readonly string[];
  readonly truncated: boolean;
}

const QUERY_KEYS = new Set(['prefix', 'maxResults']);

export function parseSuggestionRequest(
  attribute: string,
  parameters: Readonly<Record<string, string | undefined>>,
): SuggestionRequest {
  const known = SUGGESTION_ATTRIBUTES.find((name) => name === attribute);
  if (known === undefined) {
    throw new RequestError(
      'InvalidParameter',
      `values are suggested for ${SUGGESTION_ATTRIBUTES.join(', ')}, not ${JSON.stringify(attribute)}`,
    );
  }
  const unknown = Object.keys(parameters).filter((name) => !QUERY_KEYS.has(name));
  if (unknown.length > 0) {
    throw new RequestError('InvalidParameter', `unknown query parameter(s): ${unknown.join(', ')}`);
  }
  const prefix = parameters.prefix ?? '';
  if (byteLength(prefix) > LIMITS.keyFieldBytes) {
    throw new RequestError('InvalidParameter', `prefix must be at most ${LIMITS.keyFieldBytes} UTF-8 bytes`);
  }
  const text = parameters.maxResults;
  const maxResults =
    text === undefined ? SUGGESTIONS_DEFAULT_RESULTS : /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  if (!(maxResults >= 1 && maxResults <= SUGGESTIONS_MAX_RESULTS)) {
    throw new RequestError(
      'InvalidMaxResults',
      `maxResults must be a whole number from 1 to ${SUGGESTIONS_MAX_RESULTS}`,
    );
  }
  return { attribute: known, prefix, maxResults };
}

export interface SuggestionOptions extends ReadOptions {
  readonly writeShards: number;
  readonly notBeforeMs: number;
  readonly nowMs: number;
}

/** The values one read gives, and whether that read stopped at its bound. */
async function candidates(
  attribute: SuggestionAttribute,
  reader: EventReader,
  options: SuggestionOptions,
): Promise<{ values: string[]; truncated: boolean }> {
  const read = options.signal === undefined ? {} : { signal: options.signal };
  if (attribute === 'Username') {
    const page = await lookupEvents(
      {
        attributes: {},
        startMs: options.notBeforeMs,
        endMs: options.nowMs,
        maxResults: SUGGESTIONS_RECENT_EVENTS,
      },
      reader,
      { writeShards: options.writeShards, ...read },
    );
    const values = page.records.map((json) => lookupUsername((JSON.parse(json) as TrailRecord).userIdentity));
    return { values, truncated: page.lastEventID !== undefined };
  }
  const pk = attribute === 'EventSource' ? SOURCE_CATALOG_PK : INSIGHT_KEYS_CATALOG_PK;
  const entries = await reader.readCatalog(pk, { limit: SUGGESTIONS_CATALOG_ENTRIES }, read);
  const values = entries.flatMap((entry) => {
    const value =
      attribute === 'EventSource' ? entry.attributes.eventSource : catalogCounterKey(entry)?.eventName;
    return value === undefined ? [] : [value];
  });
  return { values, truncated: entries.length >= SUGGESTIONS_CATALOG_ENTRIES };
}

export async function suggestValues(
  request: SuggestionRequest,
  reader: EventReader,
  options: SuggestionOptions,
): Promise<Suggestions> {
  const { values, truncated } = await candidates(request.attribute, reader, options);
  const matching = [...new Set(values)]
    .filter((value) => value !== '' && value.startsWith(request.prefix))
    .sort();
  return {
    attribute: request.attribute,
    values: matching.slice(0, request.maxResults),
    truncated: truncated || matching.length > request.maxResults,
  };
}
