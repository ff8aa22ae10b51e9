import { request } from 'node:http';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A client for the front's strictness tests: it sends the path and query exactly as given (fetch and URL would
 * normalise them) and may repeat a header, and it signs with the AWS SDK's own signer from name/value pairs, so
 * names like `constructor` or `__proto__` reach the signer as plain own keys.
 */

export interface RawRequest {
  readonly method?: string;
  /** Path and query as they go on the request line. */
  readonly target: string;
  /** An array value sends the header once per element. */
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: Uint8Array;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export const sendRaw = (baseUrl: string, raw: RawRequest): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl);
    const outgoing = request(
      { hostname, port, method: raw.method ?? 'GET', path: raw.target, agent: false, timeout: 10_000 },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    for (const [name, value] of Object.entries(raw.headers ?? {})) outgoing.setHeader(name, value);
    outgoing.on('timeout', () => outgoing.destroy(new Error('No answer within 10 s')));
    outgoing.on('error', reject);
    outgoing.end(raw.body);
  });

export interface SigningOptions {
  readonly method?: string;
  readonly path: string;
  /** Decoded name/value pairs, in order; a repeated name is sent (and signed) once per value. */
  readonly query?: ReadonlyArray<readonly [string, string]>;
  readonly body?: string | Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  readonly region: string;
  /** @default 'execute-api' */
  readonly service?: string;
}

/** Signs like an SDK client and returns the request to send: target (path + encoded query), headers and body. */
export const signForFront = async (
  baseUrl: string,
  options: SigningOptions,
): Promise<RawRequest & { readonly headers: Record<string, string> }> => {
  const { host } = new URL(baseUrl);
  const pairs = options.query ?? [];
  const grouped = new Map<string, string[]>();
  for (const [name, value] of pairs) grouped.set(name, [...(grouped.get(name) ?? []), value]);
  const body = typeof options.body === 'string' ? new TextEncoder().encode(options.body) : options.body;
  const signer = new SignatureV4({
    service: options.service ?? 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: options.method ?? 'GET',
      protocol: 'http:',
      hostname: host,
      path: options.path,
      query: Object.fromEntries(
        [...grouped].map(([name, values]) => [name, values.length === 1 ? (values[0] ?? '') : values]),
      ),
      headers: {
        host,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      body,
    }),
  );
  const query = pairs.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return {
    method: options.method ?? 'GET',
    target: query.length === 0 ? options.path : `${options.path}?${query.join('&')}`,
    headers: Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name, String(value)])),
    ...(body === undefined ? {} : { body }),
  };
};
