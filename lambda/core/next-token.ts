import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { RequestError } from './errors.js';

/**
 * Pagination tokens: opaque to clients, signed (HMAC-SHA256) so they cannot be forged or edited, and bound to
 * the query that issued them by a fingerprint of its filters and time range. Page size is not bound: a client
 * may change maxResults between pages.
 */
export interface PageCursor {
  /** The last eventID the lookup got past; the next page starts strictly after it. */
  readonly afterEventID: string;
  /** The resolved time window, so "the last 90 days" means the same window on every page. */
  readonly startMs: number;
  readonly endMs: number;
}

interface TokenPayload {
  readonly v: typeof TOKEN_VERSION;
  readonly c: string;
  readonly s: number;
  readonly e: number;
  readonly q: string;
  readonly x: number;
}

/** Version 2 tokens could carry a catalog group, which no lookup has any more: they are refused. */
const TOKEN_VERSION = 3;

export const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

export function queryFingerprint(query: unknown): string {
  return createHash('sha256').update(canonicalJson(query)).digest('base64url');
}

/** JSON with object keys sorted, so equal queries fingerprint equally whatever their parameter order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, child]) => child !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${canonicalJson(child)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class NextTokenCodec {
  constructor(
    private readonly secret: string,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 16) throw new Error('the pagination token secret must be at least 16 characters');
  }

  encode(cursor: PageCursor, fingerprint: string): string {
    const payload: TokenPayload = {
      v: TOKEN_VERSION,
      c: cursor.afterEventID,
      s: cursor.startMs,
      e: cursor.endMs,
      q: fingerprint,
      x: this.now() + TOKEN_LIFETIME_MS,
    };
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The cursor a token carries, or an InvalidNextToken refusal saying why it cannot be used. */
  decode(token: string, fingerprint: string): PageCursor {
    const invalid = (message: string) => new RequestError('InvalidNextToken', message);
    const [body, signature, ...rest] = token.split('.');
    if (!body || !signature || rest.length > 0 || !this.verify(body, signature)) {
      throw invalid('the nextToken is not one OpenTrail issued, or it was altered');
    }
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenPayload;
    if (payload.q !== fingerprint) {
      throw invalid('the nextToken belongs to a different query; repeat the same parameters with it');
    }
    if (payload.x < this.now() || payload.v !== TOKEN_VERSION) {
      throw invalid('the nextToken has expired; start the lookup again');
    }
    return {
      afterEventID: payload.c,
      startMs: payload.s,
      endMs: payload.e,
    };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }

  private verify(body: string, signature: string): boolean {
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }
}
