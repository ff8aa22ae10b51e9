import type { ApiSettings } from './api.js';

/**
 * Which keys the console signs with: the pair a person entered in Settings (sessionStorage: gone with the tab),
 * else the one the server offers in /console/config.json (local mode's reader pair).
 */

const STORAGE_KEY = 'opentrail.credentials';

const isSettings = (value: unknown): value is ApiSettings => {
  const candidate = value as {
    region?: unknown;
    credentials?: { accessKeyId?: unknown; secretAccessKey?: unknown };
  };
  return (
    typeof candidate?.region === 'string' &&
    typeof candidate.credentials?.accessKeyId === 'string' &&
    typeof candidate.credentials.secretAccessKey === 'string'
  );
};

export function storedSettings(): ApiSettings | undefined {
  try {
    const parsed: unknown = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null');
    return isSettings(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

export const storeSettings = (settings: ApiSettings | undefined): void => {
  if (settings === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
};

/** The server's offer; undefined when there is none (a console hosted without local mode's config). */
export async function offeredSettings(): Promise<ApiSettings | undefined> {
  try {
    const response = await fetch('/console/config.json', { cache: 'no-store' });
    if (!response.ok) return undefined;
    const body: unknown = await response.json();
    return isSettings(body) ? body : undefined;
  } catch {
    return undefined;
  }
}
