import {
  type Bounds,
  DEFAULT_PRESET,
  formatInstant,
  isPresetId,
  parseInstant,
  resolveRange,
  type TimeRange,
} from './time.js';

/**
 * The console's query and its URL: the lookup attributes and EventCategory under GET /events's own names,
 * startTime/endTime for an absolute range, and `range` (the console's only key of its own) for a preset, which
 * stays relative when the link is opened later.
 */

/** GET /events's lookup attributes, labelled as CloudTrail's console labels them; a unit test pins the keys. */
export const LOOKUP_ATTRIBUTES = [
  { key: 'EventId', label: 'Event ID' },
  { key: 'EventName', label: 'Event name' },
  { key: 'ReadOnly', label: 'Read only' },
  { key: 'Username', label: 'User name' },
  { key: 'ResourceType', label: 'Resource type' },
  { key: 'ResourceName', label: 'Resource name' },
  { key: 'EventSource', label: 'Event source' },
  { key: 'AccessKeyId', label: 'AWS access key' },
] as const;

export type AttributeKey = (typeof LOOKUP_ATTRIBUTES)[number]['key'];

export type Attributes = Readonly<Partial<Record<AttributeKey, string>>>;

export interface ConsoleQuery {
  readonly attributes: Attributes;
  /** EventCategory=insight: insight events instead of API events. */
  readonly insight: boolean;
  readonly range: TimeRange;
}

export interface ParsedQuery {
  readonly query: ConsoleQuery;
  /** Parameters the URL held that were ignored, each with why, for the page to say. */
  readonly problems: readonly string[];
}

export const RANGE_PARAMETER = 'range';

export const EMPTY_QUERY: ConsoleQuery = {
  attributes: {},
  insight: false,
  range: { kind: 'relative', preset: DEFAULT_PRESET },
};

export const isAttributeKey = (name: string): name is AttributeKey =>
  LOOKUP_ATTRIBUTES.some((attribute) => attribute.key === name);

export const attributeLabel = (key: AttributeKey): string =>
  LOOKUP_ATTRIBUTES.find((attribute) => attribute.key === key)?.label ?? key;

export function parseQuery(search: string): ParsedQuery {
  const parameters = new URLSearchParams(search);
  const problems: string[] = [];
  const attributes: Partial<Record<AttributeKey, string>> = {};
  for (const [name, value] of parameters) {
    if (isAttributeKey(name) && value !== '') attributes[name] = value;
  }
  const category = parameters.get('EventCategory');
  if (category !== null && category !== 'insight') {
    problems.push(`EventCategory=${category} ignored: the only category is insight`);
  }
  const instant = (name: 'startTime' | 'endTime'): number | undefined => {
    const text = parameters.get(name);
    if (text === null) return undefined;
    const ms = parseInstant(text);
    if (ms === undefined)
      problems.push(`${name}=${text} ignored: not an ISO 8601 time like 2026-01-31T12:00:00Z`);
    return ms;
  };
  const startMs = instant('startTime');
  const endMs = instant('endTime');
  const preset = parameters.get(RANGE_PARAMETER);
  let range: TimeRange = EMPTY_QUERY.range;
  if (startMs !== undefined || endMs !== undefined) {
    if (startMs !== undefined && endMs !== undefined && startMs > endMs) {
      problems.push('startTime is after endTime: the range was ignored');
    } else {
      range = {
        kind: 'absolute',
        ...(startMs === undefined ? {} : { startMs }),
        ...(endMs === undefined ? {} : { endMs }),
      };
    }
  } else if (preset !== null) {
    if (isPresetId(preset)) range = { kind: 'relative', preset };
    else problems.push(`${RANGE_PARAMETER}=${preset} ignored: not one of the presets`);
  }
  return { query: { attributes, insight: category === 'insight', range }, problems };
}

/** The attribute and category parameters, in LOOKUP_ATTRIBUTES order so equal queries give equal URLs. */
function filterParameters(query: ConsoleQuery): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const { key } of LOOKUP_ATTRIBUTES) {
    const value = query.attributes[key];
    if (value !== undefined) pairs.push([key, value]);
  }
  if (query.insight) pairs.push(['EventCategory', 'insight']);
  return pairs;
}

/** The URL's search part ('' or '?...'); the default range is left out so the plain page has a plain URL. */
export function formatQuery(query: ConsoleQuery): string {
  const pairs = filterParameters(query);
  const { range } = query;
  if (range.kind === 'absolute') {
    if (range.startMs !== undefined) pairs.push(['startTime', formatInstant(range.startMs)]);
    if (range.endMs !== undefined) pairs.push(['endTime', formatInstant(range.endMs)]);
  } else if (range.preset !== DEFAULT_PRESET) {
    pairs.push([RANGE_PARAMETER, range.preset]);
  }
  const search = new URLSearchParams(pairs).toString();
  return search === '' ? '' : `?${search}`;
}

/** GET /events's parameters for the query over fixed bounds, so every page of a view covers the same window. */
export function lookupParameters(query: ConsoleQuery, bounds: Bounds, maxResults: number): URLSearchParams {
  return new URLSearchParams([
    ...filterParameters(query),
    // Milliseconds kept: an event from the last second must not fall past a rounded-down end.
    ['startTime', new Date(bounds.startMs).toISOString()],
    ['endTime', new Date(bounds.endMs).toISOString()],
    ['maxResults', String(maxResults)],
  ]);
}

/** The query with one attribute set (or, with undefined, removed). */
export function withAttribute(
  query: ConsoleQuery,
  key: AttributeKey,
  value: string | undefined,
): ConsoleQuery {
  const { [key]: _removed, ...others } = query.attributes;
  return { ...query, attributes: value === undefined || value === '' ? others : { ...others, [key]: value } };
}

export const boundsOf = (query: ConsoleQuery, nowMs: number): Bounds => resolveRange(query.range, nowMs);
