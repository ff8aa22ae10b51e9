import type { TrailRecord } from './event-model.js';
import { LIMITS } from './limits.js';

/**
 * Redaction: sensitive values in the record's free-form objects are masked before a record is stored, so the table,
 * the log lines and the archive never see them, and the record lists what was masked in `ingestion.redactedFields`
 * (docs/selectors.md). It runs after the producer's event is validated, so limits apply to what was sent. The
 * producer's objects are never changed: an object is copied only along the paths that are masked.
 */

export const REDACTION_MASK = '***REDACTED***';

/**
 * The free-form objects redaction looks into, named as paths from the record. Of userIdentity only the two objects:
 * its other fields are fixed identity facts, and `accessKeyId` is a lookup key that a default rule would mask.
 */
export const REDACTED_ROOTS = [
  'requestParameters',
  'responseElements',
  'additionalEventData',
  'serviceEventDetails',
  'addendum',
  'edgeDeviceDetails',
  'userIdentity.details',
  'userIdentity.sessionContext',
] as const;
type RedactedRoot = (typeof REDACTED_ROOTS)[number];

export interface RedactionRules {
  /** Mask keys that look sensitive (password, secret, token, API and access keys, ...) at any depth. @default true */
  readonly defaults?: boolean;
  /** More key names to mask at any depth; matched whole on normalised keys (normalizedKey). */
  readonly keys?: readonly string[];
  /** Exact places to mask, like `requestParameters.card.number` or `userIdentity.details.users[*].ssn`. */
  readonly paths?: readonly string[];
}

/** Masks a record's free-form objects in place (the record is OpenTrail's own object) and lists what it masked. */
export type Redactor = (record: TrailRecord) => void;

/**
 * A key as the rules compare it, so that neither case, separators nor look-alike spellings hide a key: NFKC folds
 * compatibility forms (full-width letters, the long s), default-ignorable code points (soft hyphen, zero-width
 * spaces, joiners, BOM, Hangul fillers) go, and so does everything that is not a letter, digit or combining mark.
 * `Pass-Word`, `pass.word`, `ＰＡＳＳＷＯＲＤ` and `pa\u00ADssword` all read `password`.
 */
const IGNORED_IN_KEYS = /[^\p{L}\p{N}\p{M}]|\p{Default_Ignorable_Code_Point}/gu;
const normalizedKey = (key: string): string =>
  key.normalize('NFKC').toLowerCase().replaceAll(IGNORED_IN_KEYS, '');

/** Fragments of normalised keys that name secrets in real APIs (x-api-key, db_password, SecretAccessKey...). */
const DEFAULT_KEY_PATTERN =
  /pass(?:word|wd|phrase)|secret|token|apikey|accesskey|authori[sz]ation|cookie|privatekey|credential/;

const MAX_KEY_CHARS = 256;
/** Bounds of the per-container cache of key decisions: short keys only, and a capped count. */
const CACHED_KEY_CHARS = 64;
const CACHED_KEYS = 10_000;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
const PATH_SEGMENT = /\.([^.[\]]+)|\[(\d+|\*)\]/y;

type Segment = string | number;
const ANY = '*';

/** Where a root lives: a field of the record, or (`inner`) a field of that field. */
interface RootPlace {
  readonly root: RedactedRoot;
  readonly field: string;
  readonly inner: string | undefined;
}

const ROOT_PLACES: readonly RootPlace[] = REDACTED_ROOTS.map((root) => {
  const [field, inner] = root.split('.') as [string, string | undefined];
  return { root, field, inner };
});

interface PathRule {
  readonly place: RootPlace;
  /** Keys, array indexes, or ANY (any key or index). */
  readonly segments: readonly Segment[];
}

/** Parses `root.key[0].key[*]`; undefined when the text is not such a path. */
function parsePath(text: string): PathRule | undefined {
  const place = ROOT_PLACES.find(({ root }) => text.startsWith(root));
  if (place === undefined) return undefined;
  const segments: Segment[] = [];
  PATH_SEGMENT.lastIndex = place.root.length;
  while (PATH_SEGMENT.lastIndex < text.length) {
    const match = PATH_SEGMENT.exec(text);
    if (match === null) return undefined;
    const [, key, index] = match;
    if (key !== undefined) segments.push(key);
    else segments.push(index === ANY ? ANY : Number(index));
  }
  return segments.length > 0 ? { place, segments } : undefined;
}

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
    [
      'paths',
      (item: string) => parsePath(item) !== undefined,
      `a path below one of ${REDACTED_ROOTS.join(', ')}, like "requestParameters.card.number"`,
    ],
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

type Fields = Record<string, unknown>;
type Container = Fields | unknown[];

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

function rootValue(record: TrailRecord, place: RootPlace): unknown {
  const fields: Fields = record;
  const value = fields[place.field];
  if (place.inner === undefined) return value;
  return isContainer(value) && !Array.isArray(value) ? value[place.inner] : undefined;
}

/** Replaces a root's object; userIdentity is the producer's object, so it is copied rather than changed. */
function setRootValue(record: TrailRecord, place: RootPlace, value: Container): void {
  const fields: Fields = record;
  fields[place.field] =
    place.inner === undefined
      ? value
      : withChild(fields[place.field] as Fields, place.inner, value, undefined);
}

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
  const decide = (key: string): boolean => {
    const normalized = normalizedKey(key);
    return (useDefaults && DEFAULT_KEY_PATTERN.test(normalized)) || keys.has(normalized);
  };
  // Payload keys repeat from event to event (an API's parameter names), so decisions on short keys are kept and
  // normalising (NFKC) costs only on a key's first sight.
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
    for (const place of ROOT_PLACES) {
      const payload = rootValue(record, place);
      if (!isContainer(payload)) continue;
      path.length = 0;
      path.push(place.root);
      const masked = maskKeys(payload, path, matches, found);
      if (masked !== payload) setRootValue(record, place, masked);
    }
    for (const rule of paths) {
      const payload = rootValue(record, rule.place);
      path.length = 0;
      path.push(rule.place.root);
      // Segments are never empty, so what comes back is the root's object, masked inside or as it was.
      const masked = maskPath(payload, rule, 0, path, found);
      if (masked !== payload) setRootValue(record, rule.place, masked as Container);
    }
    if (found.length > 0) record.ingestion.redactedFields = found;
  };
}
