import type { CatalogEntry } from '../keys.js';
import type { CounterKey } from './counters.js';

/**
 * The insight key catalog (docs/insights.md): one entry per counter key, sort key the keyId, the key as JSON in
 * `key`. The insights run lists it to find the keys to evaluate; value suggestions read event names from it.
 */
export const INSIGHT_KEYS_CATALOG_PK = 'C#INSIGHTKEYS';

/** The counter key an entry holds, or undefined for an entry without one. */
export function catalogCounterKey(entry: CatalogEntry): CounterKey | undefined {
  const key = entry.attributes.key;
  return key === undefined ? undefined : (JSON.parse(key) as CounterKey);
}
