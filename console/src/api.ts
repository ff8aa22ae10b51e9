import { AwsClient } from 'aws4fetch';
import type { Page } from './pages.js';
import type { ConsoleRecord } from './record.js';
import type { InsightSeries } from './series.js';

/** The API, signed in the browser with SigV4 (execute-api, as API Gateway's IAM authorization wants). */

export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials' token (the identity pool's), sent as X-Amz-Security-Token. */
  readonly sessionToken?: string;
}

/** The keys to sign the next call with: fixed ones, or a source that renews temporary ones before they expire. */
export type CredentialSource = Credentials | (() => Promise<Credentials>);

/** What the investigator can do about refused keys or an API out of reach: local mode's advice unless told otherwise. */
export interface ApiAdvice {
  readonly credentials: string;
  readonly forbidden: string;
  readonly unreachable: string;
}

export const LOCAL_ADVICE: ApiAdvice = {
  credentials: 'Check the access key pair in Settings.',
  forbidden: 'the console needs a reader\u2019s keys (grantLookup). Change them in Settings.',
  unreachable: 'Is local mode running?',
};

export interface ApiSettings {
  readonly region: string;
  readonly credentials: Credentials;
}

/** An answer other than 2xx, with the API's own code and message (`{code, message}`, or `{message}` from the gateway). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
    readonly advice: ApiAdvice = LOCAL_ADVICE,
  ) {
    super(message);
  }
}

const parseError = (status: number, text: string, advice: ApiAdvice): ApiError => {
  try {
    const body = JSON.parse(text) as { code?: unknown; message?: unknown };
    const message = typeof body.message === 'string' ? body.message : text;
    return new ApiError(status, typeof body.code === 'string' ? body.code : undefined, message, advice);
  } catch {
    return new ApiError(status, undefined, text || `HTTP ${status}`, advice);
  }
};

/** What a person can do about an error, in one sentence or two. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const { advice } = error;
    if (error.status === 0) return `The API could not be reached (${error.message}). ${advice.unreachable}`;
    if (error.status === 403 && error.code !== undefined) {
      const reason = error.message.replace(/\.+$/, '');
      return `The API refused these credentials (${error.code}): ${reason}. ${advice.credentials}`;
    }
    if (error.status === 403) {
      return `These credentials may not look up events (403 Forbidden): ${advice.forbidden}`;
    }
    return `The API answered ${error.status}${error.code === undefined ? '' : ` ${error.code}`}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

export interface Api {
  lookup(parameters: URLSearchParams, signal?: AbortSignal): Promise<Page<ConsoleRecord>>;
  /** The record's JSON text exactly as GET /events/{id} returns it. */
  getEvent(eventId: string, insight: boolean, signal?: AbortSignal): Promise<string>;
  /** GET /insights/{sharedEventID}/series (docs/insights.md). */
  insightSeries(sharedEventID: string, signal?: AbortSignal): Promise<InsightSeries>;
  /** GET /values/{attribute}: the suggested values that start with `prefix` (docs/console.md). */
  values(attribute: string, prefix: string, signal?: AbortSignal): Promise<readonly string[]>;
}

/**
 * Minutes of counters the insight graph shows before the insight starts: enough to see the usual rate, few enough
 * that a short insight is not a sliver of the series route's default day.
 */
const GRAPH_CONTEXT_MINUTES = 120;

export function createApi(
  region: string,
  credentials: CredentialSource,
  baseUrl: string,
  advice: ApiAdvice = LOCAL_ADVICE,
): Api {
  let signer: { readonly keys: Credentials; readonly client: AwsClient } | undefined;
  const clientFor = (keys: Credentials): AwsClient => {
    // No retries: a refused or failing call is shown at once rather than after seconds of back-off.
    if (signer?.keys !== keys) {
      signer = { keys, client: new AwsClient({ ...keys, region, service: 'execute-api', retries: 0 }) };
    }
    return signer.client;
  };
  const get = async (path: string, signal?: AbortSignal): Promise<string> => {
    const client = clientFor(typeof credentials === 'function' ? await credentials() : credentials);
    let response: Response;
    try {
      response = await client.fetch(new URL(path, baseUrl).href, signal === undefined ? {} : { signal });
    } catch (error) {
      if (error instanceof TypeError) throw new ApiError(0, undefined, error.message, advice);
      throw error;
    }
    const text = await response.text();
    if (!response.ok) throw parseError(response.status, text, advice);
    return text;
  };
  return {
    lookup: async (parameters, signal) =>
      JSON.parse(await get(`/events?${parameters.toString()}`, signal)) as Page<ConsoleRecord>,
    getEvent: (eventId, insight, signal) =>
      get(`/events/${encodeURIComponent(eventId)}${insight ? '?EventCategory=insight' : ''}`, signal),
    insightSeries: async (sharedEventID, signal) =>
      JSON.parse(
        await get(
          `/insights/${encodeURIComponent(sharedEventID)}/series?baselineMinutes=${GRAPH_CONTEXT_MINUTES}`,
          signal,
        ),
      ) as InsightSeries,
    values: async (attribute, prefix, signal) => {
      const query = new URLSearchParams(prefix === '' ? {} : { prefix }).toString();
      const path = `/values/${encodeURIComponent(attribute)}${query === '' ? '' : `?${query}`}`;
      return (JSON.parse(await get(path, signal)) as { values: string[] }).values;
    },
  };
}
