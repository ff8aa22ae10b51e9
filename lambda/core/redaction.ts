import type { TrailRecord } from './event-model.js';
import { LIMITS } from './limits.js';

/**
 * Redaction: sensitive values in the free-form payloads are masked before a record is stored, so the table, the
 * log lines and the archive never see them, and the record lists what was masked in `ingestion.redactedFields`
 * (docs/selectors.md). It runs after the producer's event is validated, so limits apply to what was sent. The
 * producer's objects are never changed: a payload is copied only along the paths that are masked.
 */

export const REDACTION_MASK = '***REDACTED***';

export const REDACTED_FIELDS = ['requestParameters', 'responseElements', 'additionalEventData'] as const;
type RedactedField = (typeof REDACTED_FIELDS)[number];

export interface RedactionRules {
  /** Mask keys that look sensitive (password, secret, token, API and access keys, ...) at any depth. @default true */
  readonly defaults?: boolean;
  /** More key names to mask at any depth; matched ignoring case, `-` and `_`. */
  readonly keys?: readonly string[];
  /** Exact places to mask, like `requestParameters.card.number` or `responseElements.users[*].ssn`. */
  readonly paths?: readonly string[];
}

/** Masks a record's payloads in place (the record is OpenTrail's own object) and lists what it masked. */
export type Redactor = (record: TrailRecord) => void;

/** Key fragments that name secrets in real APIs, whatever the casing or separator (x-api-key, db_password...). */
const DEFAULT_KEY_PATTERN =
  /pass(?:word|wd|phrase)|secret|token|api[-_.]?key|access[-_.]?key|authori[sz]ation|cookie|private[-_.]?key|credential/i;

const MAX_KEY_CHARS = 256;
/** Bounds of the per-container cache of key decisions: short keys only, and a capped count. */
const CACHED_KEY_CHARS = 64;
const CACHED_KEYS = 10_000;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const PATH_SEGMENT = /\.([^.[\]]+)|\[(\d+|\*)\]/y;

type Segment = string | number;
const ANY = '*';

interface PathRule {
  readonly root: RedactedField;
  /** Keys, array indexes, or ANY (any key or index). */
  readonly segments: readonly Segment[];
}

/** Parses `root.key[0].key[*]`; undefined when the text is not such a path. */
function parsePath(text: string): PathRule | undefined {
  const root = REDACTED_FIELDS.find((field) => text.startsWith(field));
  if (root === undefined) return undefined;
  const segments: Segment[] = [];
  PATH_SEGMENT.lastIndex = root.length;
  while (PATH_SEGMENT.lastIndex < text.length) {
    const match = PATH_SEGMENT.exec(text);
    if (match === null) return undefined;
    const [, key, index] = match;
    if (key !== undefined) segments.push(key);
    else segments.push(index === ANY ? ANY : Number(index));
  }
  return segments.length > 0 ? { root, segments } : undefined;
}

const normalizedKey = (key: string): string => key.toLowerCase().replaceAll(/[-_]/g, '');

/** Every problem with a redaction configuration; empty when it is valid. `undefined` means the defaults. */
export function redactionProblems(config: unknown): string[] {
  if (config === undefined) return [];
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    return [
      'the redaction rules must be an object like { "keys": ["ssn"], "paths": ["requestParameters.card"] }',
    ];
  }
  const rules = config as Record<string, unknown>;
  const problems: string[] = [];
  const extra = Object.keys(rules).filter((key) => !['defaults', 'keys', 'paths'].includes(key));
  if (extra.length > 0)
    problems.push(`unknown redaction key(s) ${extra.map((key) => JSON.stringify(key)).join(', ')}`);
  if (rules.defaults !== undefined && typeof rules.defaults !== 'boolean')
    problems.push('redaction defaults must be true or false');
  let count = 0;
  for (const [name, check, hint] of [
    ['keys', (item: string) => item.length <= MAX_KEY_CHARS && normalizedKey(item) !== '', `a key name`],
    ['paths', (item: string) => parsePath(item) !== undefined, `a path like "requestParameters.card.number"`],
  ] as const) {
    const list = rules[name];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(`redaction ${name} must be a list of strings`);
      continue;
    }
    count += list.length;
    list.forEach((item, i) => {
      if (typeof item !== 'string' || !check(item)) problems.push(`redaction ${name}[${i}] must be ${hint}`);
    });
  }
  if (count > LIMITS.redactionRules)
    problems.push(
      `there are ${count} redaction keys and paths; at most ${LIMITS.redactionRules} are allowed`,
    );
  return problems;
}

function formatPath(path: readonly Segment[]): string {
  let text = String(path[0]);
  for (let i = 1; i < path.length; i++) {
    const part = path[i] as Segment;
    text +=
      typeof part === 'number'
        ? `[${part}]`
        : IDENTIFIER.test(part)
          ? `.${part}`
          : `[${JSON.stringify(part)}]`;
  }
  return text;
}

/** Sets an own property, even one named `__proto__`, without touching the prototype. */
function setOwn(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

type Container = Record<string, unknown> | unknown[];

function withChild(
  container: Container,
  key: Segment,
  value: unknown,
  copy: Container | undefined,
): Container {
  const target = copy ?? (Array.isArray(container) ? container.slice() : { ...container });
  if (Array.isArray(target)) target[key as number] = value;
  else setOwn(target, String(key), value);
  return target;
}

const isContainer = (value: unknown): value is Container => value !== null && typeof value === 'object';

/** Masks every non-null value under a matching key, at any depth; returns the value itself when nothing matched. */
function maskKeys(
  value: Container,
  path: Segment[],
  matches: (key: string) => boolean,
  found: string[],
): Container {
  let copy: Container | undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const child = value[i];
      if (isContainer(child)) copy = maskWithin(value, i, child, path, matches, found, copy);
    }
    return copy ?? value;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    const child = value[key];
    if (child === null) continue;
    if (matches(key)) {
      path.push(key);
      found.push(formatPath(path));
      path.pop();
      copy = withChild(value, key, REDACTION_MASK, copy);
    } else if (isContainer(child)) {
      copy = maskWithin(value, key, child, path, matches, found, copy);
    }
  }
  return copy ?? value;
}

/** Masks inside one child; the parent is copied only when the child changed. */
function maskWithin(
  parent: Container,
  key: Segment,
  child: Container,
  path: Segment[],
  matches: (key: string) => boolean,
  found: string[],
  copy: Container | undefined,
): Container | undefined {
  path.push(key);
  const masked = maskKeys(child, path, matches, found);
  path.pop();
  return masked === child ? copy : withChild(parent, key, masked, copy);
}

/** Masks the value at a configured path (ANY fans out); returns the value itself when nothing is there. */
function maskPath(value: unknown, rule: PathRule, depth: number, path: Segment[], found: string[]): unknown {
  if (value === null || value === undefined) return value;
  if (depth === rule.segments.length) {
    const text = formatPath(path);
    if (!found.includes(text)) found.push(text);
    return REDACTION_MASK;
  }
  if (!isContainer(value)) return value;
  const segment = rule.segments[depth] as Segment;
  const keys: Segment[] =
    segment === ANY
      ? Array.isArray(value)
        ? value.map((_, i) => i)
        : Object.keys(value)
      : Array.isArray(value) === (typeof segment === 'number') && Object.hasOwn(value, segment)
        ? [segment]
        : [];
  let copy: Container | undefined;
  for (const key of keys) {
    const child = (value as Record<Segment, unknown>)[key];
    path.push(key);
    const masked = maskPath(child, rule, depth + 1, path, found);
    path.pop();
    if (masked !== child) copy = withChild(value, key, masked, copy);
  }
  return copy ?? value;
}

/** Compiles rules that redactionProblems found valid. */
export function compileRedaction(rules: RedactionRules = {}): Redactor {
  const keys = new Set((rules.keys ?? []).map(normalizedKey));
  const useDefaults = rules.defaults ?? true;
  const paths = (rules.paths ?? []).map((text) => parsePath(text) as PathRule);
  if (!useDefaults && keys.size === 0 && paths.length === 0) return () => {};
  const decide = (key: string): boolean =>
    (useDefaults && DEFAULT_KEY_PATTERN.test(key)) || (keys.size > 0 && keys.has(normalizedKey(key)));
  // Payload keys repeat from event to event (an API's parameter names), so decisions on short keys are kept.
  const decided = new Map<string, boolean>();
  const matches = (key: string): boolean => {
    let masked = decided.get(key);
    if (masked === undefined) {
      masked = decide(key);
      if (key.length <= CACHED_KEY_CHARS) {
        if (decided.size >= CACHED_KEYS) decided.clear();
        decided.set(key, masked);
      }
    }
    return masked;
  };
  const path: Segment[] = [];
  return (record) => {
    const found: string[] = [];
    for (const field of REDACTED_FIELDS) {
      const payload = record[field];
      if (!isContainer(payload)) continue;
      path.length = 0;
      path.push(field);
      const masked = maskKeys(payload, path, matches, found);
      if (masked !== payload) record[field] = masked as Record<string, unknown>;
    }
    for (const rule of paths) {
      const payload = record[rule.root];
      path.length = 0;
      path.push(rule.root);
      const masked = maskPath(payload, rule, 0, path, found);
      if (masked !== payload) record[rule.root] = masked as Record<string, unknown>;
    }
    if (found.length > 0) record.ingestion.redactedFields = found;
  };
}
