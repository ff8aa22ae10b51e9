import { timingSafeEqual } from 'node:crypto';
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * Verifies AWS SigV4 Authorization headers the way API Gateway's IAM authorization does for `execute-api`,
 * so local mode rejects exactly the requests AWS would. The signature itself is recomputed with the SDK's
 * signer over the request as received; this module only parses, checks the scope and clock, and compares.
 */

export type SigV4FailureCode =
  | 'MissingAuthenticationToken'
  | 'IncompleteSignatureException'
  | 'InvalidSignatureException'
  | 'SignatureExpired'
  | 'UnrecognizedClientException';

export interface LocalCredential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** IAM user name shown in the caller's ARN. @default 'local' */
  readonly userName?: string;
  /**
   * The session token of temporary credentials; a request signed with this key must carry exactly this token in
   * X-Amz-Security-Token. @default none: a long-term key, so a request carrying any token is refused
   */
  readonly sessionToken?: string;
}

export interface CallerIdentity {
  readonly accessKeyId: string;
  readonly accountId: string;
  readonly userArn: string;
  /** Stands in for the IAM user's unique id (AIDA...), which a local user does not have. */
  readonly userId: string;
}

export type SigV4Verification =
  | {
      readonly ok: true;
      readonly caller: CallerIdentity;
      /** The service the signature is scoped to (execute-api, or a name local mode also accepts). */
      readonly signingService: string;
    }
  | { readonly ok: false; readonly code: SigV4FailureCode; readonly message: string };

/** A request as it arrived on the wire: path and query still percent-encoded, headers in arrival order. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path without the query string, as sent (percent-encoded). */
  readonly rawPath: string;
  /** Query string without the leading '?', as sent; '' when there is none. */
  readonly rawQueryString: string;
  /** Header name/value pairs; a header sent twice appears twice. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: Uint8Array;
}

export interface SigV4VerifierOptions {
  readonly credentials: readonly LocalCredential[];
  readonly region: string;
  /**
   * Service names a signature may be scoped to. API Gateway accepts only `execute-api`; local mode also accepts
   * the names the CloudTrail SDK clients sign with by default (docs/cloudtrail-compat.md).
   * @default ['execute-api']
   */
  readonly services?: readonly string[];
  /** @default '000000000000' */
  readonly accountId?: string;
  /** @default () => new Date() */
  readonly now?: () => Date;
}

export type SigV4Verifier = (request: ReceivedRequest) => Promise<SigV4Verification>;

const ALGORITHM = 'AWS4-HMAC-SHA256';
/**
 * Headers a signature depends on that must appear once: Node's `req.headers` would join a repeated one with ', ',
 * and the Authorization parser would skip a junk second value, so a request could carry an unverified extra.
 */
const SINGLE_HEADERS = ['authorization', 'x-amz-date', 'x-amz-security-token'];
const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const INVALID_SIGNATURE_MESSAGE =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

interface ParsedAuthorization {
  readonly accessKeyId: string;
  readonly scopeDate: string;
  readonly scopeRegion: string;
  readonly scopeService: string;
  readonly signedHeaders: readonly string[];
  readonly signature: string;
}

type Failure = Extract<SigV4Verification, { ok: false }>;

const fail = (code: SigV4FailureCode, message: string): Failure => ({ ok: false, code, message });

export const createSigV4Verifier = (options: SigV4VerifierOptions): SigV4Verifier => {
  const services = options.services ?? ['execute-api'];
  const accountId = options.accountId ?? '000000000000';
  const now = options.now ?? (() => new Date());
  const credentialsByKey = new Map(
    options.credentials.map((credential) => [credential.accessKeyId, credential]),
  );
  // A signature must name one principal: two pairs sharing a key would make the caller ambiguous.
  if (credentialsByKey.size !== options.credentials.length) {
    const repeated = options.credentials
      .map(({ accessKeyId }) => accessKeyId)
      .filter((key, index, keys) => keys.indexOf(key) !== index);
    throw new Error(
      `Each credential pair needs its own access key; repeated: ${[...new Set(repeated)].join(', ')}`,
    );
  }

  return async (request) => {
    const repeated = SINGLE_HEADERS.find((name) => headerValues(request.headers, name).length > 1);
    if (repeated !== undefined) {
      return fail('IncompleteSignatureException', `The '${repeated}' header must appear at most once.`);
    }
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization === undefined)
      return fail('MissingAuthenticationToken', 'Missing Authentication Token');

    const parsed = parseAuthorization(authorization);
    if (!('accessKeyId' in parsed)) return parsed;

    const amzDate = headerValue(request.headers, 'x-amz-date');
    if (amzDate === undefined) {
      return fail(
        'IncompleteSignatureException',
        "Authorization header requires existence of a 'X-Amz-Date' header.",
      );
    }
    const signingDate = parseAmzDate(amzDate);
    if (signingDate === undefined) {
      return fail(
        'IncompleteSignatureException',
        `X-Amz-Date must have the form YYYYMMDD'T'HHMMSS'Z', not '${amzDate}'.`,
      );
    }

    const credential = credentialsByKey.get(parsed.accessKeyId);
    // Like IAM: an unknown key, or a session token the key was not issued with (or a missing one), is refused.
    const sessionToken = headerValue(request.headers, 'x-amz-security-token');
    if (credential === undefined || !sameToken(credential.sessionToken, sessionToken)) {
      return fail('UnrecognizedClientException', INVALID_TOKEN_MESSAGE);
    }

    const scopeFailure = checkScope(parsed, amzDate, options.region, services);
    if (scopeFailure !== undefined) return scopeFailure;

    const skewFailure = checkClock(amzDate, signingDate, now());
    if (skewFailure !== undefined) return skewFailure;

    if (!parsed.signedHeaders.includes('host')) {
      return fail(
        'IncompleteSignatureException',
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
      );
    }

    const bodyHash = await sha256Hex(request.body);
    const declaredBodyHash = headerValue(request.headers, 'x-amz-content-sha256');
    if (declaredBodyHash !== undefined && declaredBodyHash !== bodyHash) {
      return fail(
        'InvalidSignatureException',
        'The x-amz-content-sha256 header does not match the request body.',
      );
    }

    const expected = await computeSignature(request, parsed, credential, signingDate);
    if (!constantTimeEquals(expected, parsed.signature)) {
      return fail('InvalidSignatureException', INVALID_SIGNATURE_MESSAGE);
    }

    const userName = credential.userName ?? 'local';
    return {
      ok: true,
      signingService: parsed.scopeService,
      caller: {
        accessKeyId: credential.accessKeyId,
        accountId,
        userArn: localUserArn(accountId, userName),
        userId: `LOCAL${credential.accessKeyId.toUpperCase()}`,
      },
    };
  };
};

/** The ARN a local credential pair signs as: an IAM user of the API's account. */
export const localUserArn = (accountId: string, userName: string): string =>
  `arn:aws:iam::${accountId}:user/${userName}`;

/** Splits a raw query string into decoded name/value pairs the way SigV4 canonicalisation reads them. */
export const parseQueryString = (rawQueryString: string): Array<[string, string]> =>
  rawQueryString
    .split('&')
    .filter((part) => part.length > 0)
    .map((part) => {
      const separator = part.indexOf('=');
      const name = separator === -1 ? part : part.slice(0, separator);
      const value = separator === -1 ? '' : part.slice(separator + 1);
      return [decodeComponent(name), decodeComponent(value)];
    });

/**
 * Query values grouped by name in arrival order. A Map, since the names are the client's: as keys of a plain
 * object, `constructor` or `__proto__` would read or replace what Object.prototype holds.
 */
export const groupQuery = (rawQueryString: string): Map<string, string[]> => {
  const groups = new Map<string, string[]>();
  for (const [name, value] of parseQueryString(rawQueryString)) {
    const values = groups.get(name);
    if (values === undefined) groups.set(name, [value]);
    else values.push(value);
  }
  return groups;
};

// A malformed escape is kept as sent, so it can only lead to a signature mismatch, never a crash.
const decodeComponent = (component: string): string => {
  try {
    return decodeURIComponent(component);
  } catch {
    return component;
  }
};

const headerValues = (headers: ReceivedRequest['headers'], name: string): string[] =>
  headers.filter(([headerName]) => headerName.toLowerCase() === name).map(([, value]) => value.trim());

/** Repeated headers are combined with commas, as SigV4 canonicalisation and API Gateway both do. */
const headerValue = (headers: ReceivedRequest['headers'], name: string): string | undefined => {
  const values = headerValues(headers, name);
  return values.length === 0 ? undefined : values.join(',');
};

const sameToken = (issued: string | undefined, sent: string | undefined): boolean =>
  issued === undefined || sent === undefined ? issued === sent : constantTimeEquals(issued, sent);

const parseAuthorization = (authorization: string): ParsedAuthorization | Failure => {
  const trimmed = authorization.trim();
  if (!trimmed.startsWith(`${ALGORITHM} `)) {
    return fail('IncompleteSignatureException', `Authorization header must use the ${ALGORITHM} algorithm.`);
  }
  const parameters = new Map<string, string>();
  for (const part of trimmed.slice(ALGORITHM.length).split(',')) {
    const separator = part.indexOf('=');
    if (separator === -1) continue;
    parameters.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  for (const required of ['Credential', 'SignedHeaders', 'Signature']) {
    if (!parameters.get(required)) {
      return fail('IncompleteSignatureException', `Authorization header requires '${required}' parameter.`);
    }
  }
  const scope = (parameters.get('Credential') ?? '').split('/');
  const [accessKeyId, scopeDate, scopeRegion, scopeService, terminator] = scope;
  if (
    scope.length !== 5 ||
    !accessKeyId ||
    !scopeDate ||
    !scopeRegion ||
    !scopeService ||
    terminator !== 'aws4_request'
  ) {
    return fail(
      'IncompleteSignatureException',
      "Credential must have the form '<AccessKeyId>/<YYYYMMDD>/<region>/<service>/aws4_request'.",
    );
  }
  return {
    accessKeyId,
    scopeDate,
    scopeRegion,
    scopeService,
    signedHeaders: (parameters.get('SignedHeaders') ?? '').split(';').map((name) => name.toLowerCase()),
    signature: parameters.get('Signature') ?? '',
  };
};

const parseAmzDate = (amzDate: string): Date | undefined => {
  const match = AMZ_DATE_PATTERN.exec(amzDate);
  if (match === null) return undefined;
  const date = new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
};

const checkScope = (
  parsed: ParsedAuthorization,
  amzDate: string,
  region: string,
  services: readonly string[],
): Failure | undefined => {
  if (!services.includes(parsed.scopeService)) {
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${services.join("' or '")}'.`,
    );
  }
  if (parsed.scopeRegion !== region) {
    return fail(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${parsed.scopeRegion}'. Expected '${region}'.`,
    );
  }
  if (parsed.scopeDate !== amzDate.slice(0, 8)) {
    return fail(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from X-Amz-Date: '${parsed.scopeDate}' != '${amzDate.slice(0, 8)}'.`,
    );
  }
  return undefined;
};

const checkClock = (amzDate: string, signingDate: Date, now: Date): Failure | undefined => {
  const skew = signingDate.getTime() - now.getTime();
  if (skew < -MAX_CLOCK_SKEW_MS) {
    return fail(
      'SignatureExpired',
      `Signature expired: ${amzDate} is now earlier than ${toAmzDate(new Date(now.getTime() - MAX_CLOCK_SKEW_MS))} (${toAmzDate(now)} - 15 min.)`,
    );
  }
  if (skew > MAX_CLOCK_SKEW_MS) {
    return fail(
      'SignatureExpired',
      `Signature not yet current: ${amzDate} is still later than ${toAmzDate(new Date(now.getTime() + MAX_CLOCK_SKEW_MS))} (${toAmzDate(now)} + 15 min.)`,
    );
  }
  return undefined;
};

const toAmzDate = (date: Date): string =>
  date
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

const sha256Hex = async (body: Uint8Array): Promise<string> => {
  const hash = new Sha256();
  hash.update(body);
  return Buffer.from(await hash.digest()).toString('hex');
};

/**
 * Re-signs the request with the SDK signer, restricted to the headers the client signed. The path is the one
 * received, which the signer encodes once more: SigV4 for every service but S3 signs the path encoded twice.
 */
const computeSignature = async (
  request: ReceivedRequest,
  parsed: ParsedAuthorization,
  credential: LocalCredential,
  signingDate: Date,
): Promise<string> => {
  const signedHeaderNames = new Set(parsed.signedHeaders);
  // Built with fromEntries: own properties whatever the names, where assignment would hit Object.prototype.
  const headers: Record<string, string> = Object.fromEntries(
    [...signedHeaderNames].flatMap((name) => {
      const value = headerValue(request.headers, name);
      return value === undefined ? [] : [[name, value]];
    }),
  );
  const query: Record<string, string | string[]> = Object.fromEntries(
    [...groupQuery(request.rawQueryString)].map(([name, values]) => [
      name,
      values.length === 1 ? (values[0] ?? '') : values,
    ]),
  );
  const signer = new SignatureV4({
    service: parsed.scopeService,
    region: parsed.scopeRegion,
    credentials: { accessKeyId: credential.accessKeyId, secretAccessKey: credential.secretAccessKey },
    sha256: Sha256,
    // The client decides whether x-amz-content-sha256 is signed; the signer must not add it.
    applyChecksum: false,
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: request.method.toUpperCase(),
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: request.rawPath,
      query,
      headers,
      body: request.body,
    }),
    { signingDate, signableHeaders: signedHeaderNames },
  );
  const match = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization));
  return match?.[1] ?? '';
};

const constantTimeEquals = (expected: string, provided: string): boolean => {
  const expectedBytes = Buffer.from(expected, 'utf8');
  const providedBytes = Buffer.from(provided, 'utf8');
  return expectedBytes.length === providedBytes.length && timingSafeEqual(expectedBytes, providedBytes);
};
