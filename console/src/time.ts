/** Time range presets and their resolution to lookup bounds; pure, so the URL and the tests agree on them. */

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export const PRESETS = [
  { id: '15m', label: '15 min', ms: 15 * MINUTE_MS },
  { id: '1h', label: '1 h', ms: HOUR_MS },
  { id: '3h', label: '3 h', ms: 3 * HOUR_MS },
  { id: '12h', label: '12 h', ms: 12 * HOUR_MS },
  { id: '1d', label: '1 d', ms: DAY_MS },
  { id: '7d', label: '7 d', ms: 7 * DAY_MS },
  { id: '30d', label: '30 d', ms: 30 * DAY_MS },
  { id: '90d', label: '90 d', ms: 90 * DAY_MS },
] as const;

export type PresetId = (typeof PRESETS)[number]['id'];

/** What the console shows when the URL names no range: the last day, the usual first look at an incident. */
export const DEFAULT_PRESET: PresetId = '1d';

/** The trail's default retention: an absolute range without a start starts there. */
export const RETENTION_MS = 90 * DAY_MS;

export type TimeRange =
  | { readonly kind: 'relative'; readonly preset: PresetId }
  /** Either bound may be open: no start means the retention window's start, no end means now. */
  | { readonly kind: 'absolute'; readonly startMs?: number; readonly endMs?: number };

export interface Bounds {
  readonly startMs: number;
  readonly endMs: number;
}

export const isPresetId = (text: string): text is PresetId => PRESETS.some((preset) => preset.id === text);

export const presetMs = (id: PresetId): number => PRESETS.find((preset) => preset.id === id)?.ms ?? DAY_MS;

export function resolveRange(range: TimeRange, nowMs: number): Bounds {
  if (range.kind === 'relative') return { startMs: nowMs - presetMs(range.preset), endMs: nowMs };
  const endMs = range.endMs ?? nowMs;
  return { startMs: range.startMs ?? endMs - RETENTION_MS, endMs };
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO 8601 instant with its offset, as the lookup takes it; undefined for anything else, a date without a time
 * or a local time included, since a shared link must mean the same instant for everyone who opens it.
 */
export function parseInstant(text: string): number | undefined {
  if (!ISO_INSTANT.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Seconds precision, as the lookup and CloudTrail print times. */
export const formatInstant = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
