import type { ApiSettings } from './api.js';

/**
 * Which keys the console signs with outside AWS: the pair a person entered in Settings (sessionStorage: gone with
 * the tab), else the one the server offers in /console/config.json (local mode's reader pair).
 */

const STORAGE_KEY = 'opentrail.credentials';

export const isSettings = (value: unknown): value is ApiSettings => {
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
