import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { groupQuery } from '../../local/sigv4-verifier.js';

/**
 * SigV4-signed requests to an OpenTrail API (local mode or deployed), shared by the demo, the benchmarks and the
 * tests: they call the API the way an SDK client would.
 */

export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Temporary credentials (an assumed role, SSO) carry one. */
  readonly sessionToken?: string;
}

export interface SignRequestOptions {
  readonly method?: string;
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credentials: SigningCredentials;
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
  /** @default now */
  readonly signingDate?: Date;
}

export interface SignedRequest {
  readonly method: string;
  readonly url: URL;
  /** Every header the request must carry, including host, x-amz-date and authorization. */
  readonly headers: Record<string, string>;
  readonly body: Uint8Array | undefined;
}

/** Signs a request for an OpenTrail API the way an SDK client would (SigV4, service execute-api). */
export const signRequest = async (url: string | URL, options: SignRequestOptions): Promise<SignedRequest> => {
  const target = new URL(url);
  const method = (options.method ?? 'GET').toUpperCase();
  const body = typeof options.body === 'string' ? new TextEncoder().encode(options.body) : options.body;
  // The raw query is grouped the way the verifier reads it (URLSearchParams would turn '+' into a space), into
  // own keys only, so a parameter named `constructor` or `__proto__` is a parameter like any other.
  const query: Record<string, string | string[]> = Object.fromEntries(
    [...groupQuery(target.search.slice(1))].map(([name, values]) => [
      name,
      values.length === 1 ? (values[0] ?? '') : values,
    ]),
  );
  const headers: Record<string, string> = { host: target.host, ...options.headers };
  if (body !== undefined && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method,
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port === '' ? undefined : Number(target.port),
      path: target.pathname,
      query,
      headers,
      body,
    }),
    { signingDate: options.signingDate ?? new Date() },
  );
  const signedHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) signedHeaders[name] = String(value);
  return { method, url: target, headers: signedHeaders, body };
};

export interface SignedFetchOptions extends SignRequestOptions {
  /** @default 10 000 ms */
  readonly timeoutMs?: number;
}

/** fetch() with a SigV4 signature, calling the API like a producer or reader would. */
export const signedFetch = async (url: string | URL, options: SignedFetchOptions): Promise<Response> => {
  const request = await signRequest(url, options);
  // fetch derives Host from the URL itself and refuses to have it set.
  const { host: _host, ...headers } = request.headers;
  return fetch(request.url, {
    method: request.method,
    headers,
    body: request.body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
};
