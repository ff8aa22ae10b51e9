import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/** AWS credentials as the signer takes them; an assumed role or SSO session carries a token and an expiry. */
export interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Called before each signature; the AWS SDK's providers cache and refresh on their own. */
export type CredentialsProvider = () => Promise<Credentials>;

/** One HTTP request as the client sends it, already signed. */
export interface TransportRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Moves bytes and nothing else: the client decides retries from what this resolves (any status) or rejects
 * with (the network failed, or the timeout passed). Tests pass a fake one.
 */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>;

/** The default transport: fetch (undici), with a timeout per attempt. */
export const fetchTransport =
  (timeoutMs: number): Transport =>
  async ({ method, url, headers, body }) => {
    // fetch derives Host from the URL and refuses to have it set; the signature covered the same value.
    const { host: _host, ...sent } = headers;
    const response = await fetch(url, {
      method,
      headers: sent,
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const answer: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      answer[name] = value;
    });
    return { status: response.status, headers: answer, body: await response.text() };
  };

export interface SignerOptions {
  readonly region: string;
  readonly service: string;
  readonly credentials: Credentials | CredentialsProvider;
}

/** Signs requests with SigV4 (API Gateway IAM authorization: service execute-api by default). */
export const createSigner = ({ region, service, credentials }: SignerOptions) => {
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  /** `extraHeaders` (names in lower case) are signed too: CloudTrail's awsJson calls add content-type and x-amz-target. */
  return async (
    method: string,
    url: URL,
    body?: string,
    extraHeaders: Readonly<Record<string, string>> = {},
  ): Promise<TransportRequest> => {
    const query: Record<string, string | string[]> = {};
    for (const [name, value] of url.searchParams) {
      const existing = query[name];
      query[name] = existing === undefined ? value : [...[existing].flat(), value];
    }
    const headers: Record<string, string> = {
      host: url.host,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...extraHeaders,
    };
    const signed = await signer.sign(
      new HttpRequest({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? undefined : Number(url.port),
        path: url.pathname,
        query,
        headers,
        body,
      }),
    );
    const signedHeaders: Record<string, string> = {};
    for (const [name, value] of Object.entries(signed.headers)) signedHeaders[name] = String(value);
    return { method, url, headers: signedHeaders, body };
  };
};
