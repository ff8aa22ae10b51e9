import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import pLimit, { type LimitFunction } from 'p-limit';
import { ArchiveObjectRefusedError, summariseArchiveObject } from '../generated/integrity/archive-object.js';
import {
  DIGEST_SIGNATURE_ALGORITHM,
  type DigestFile,
  type DigestLogFile,
  digestStringToSign,
  parseTrailArn,
  sha256Hex,
  type TrailIdentity,
} from '../generated/integrity/digest-file.js';
import {
  asDigestFile,
  digestKeyAt,
  digestKeyPattern,
  digestPrefix,
  keyTimeOf,
  parseKeyTime,
  SIGNATURE_METADATA,
} from './digest-format.js';
import type { ListedObject, ObjectStore, PublicKey, TrailControlPlane, TrailStatus } from './ports.js';

/**
 * The validation of a trail's archive: everything `aws cloudtrail validate-logs` checks (validation.py's
 * DigestTraverser and _download_log), walked the same way, and what the CLI cannot see: a digest missing at the
 * newest end, archive objects that no digest lists, chain breaks, gaps in time and forks, digests the chain never
 * reaches, objects that are not one gzip member and objects listed twice. Pure logic over the ports; every failure
 * names its object.
 */

export interface ValidateRequest {
  readonly trailArn: string;
  /** The archive bucket and the prefix under which the trail delivers (`events/`). */
  readonly archive: { readonly bucket: string; readonly prefix: string };
  /** Inclusive, as the CLI's --start-time and --end-time. */
  readonly startTime: Date;
  readonly endTime: Date;
  readonly now: Date;
  /** Seconds between digests, the digester's schedule. @default the newest linked digest's period, else an hour */
  readonly digestIntervalSeconds?: number;
  /** How late a digest, or an object's recording, may be before it counts as missing. @default a period, at most 300 */
  readonly graceSeconds?: number;
  /** Object reads in flight at once. */
  readonly concurrency: number;
}

export type FindingKind =
  /** The CLI's: a digest is gone, or fails a check. */
  | 'digest-not-found'
  | 'digest-invalid'
  /** The CLI's: a listed archive object is gone, or its bytes changed. */
  | 'log-not-found'
  | 'log-invalid'
  /** Beyond the CLI: not exactly one gzip member (the digester's rule), which the CLI would half read. */
  | 'log-refused'
  | 'log-listed-twice'
  | 'digest-missing-newest'
  | 'digest-not-in-chain'
  | 'chain-break'
  | 'chain-gap'
  | 'chain-link'
  | 'object-unlisted';

export interface Finding {
  readonly kind: FindingKind;
  /** s3://bucket/key of the object the finding is about. */
  readonly object: string;
  readonly reason: string;
}

export interface Checked {
  readonly type: 'digest' | 'log';
  readonly object: string;
  readonly valid: boolean;
}

export interface ValidationProgress {
  readonly digests: number;
  readonly logFilesChecked: number;
  readonly logFilesFound: number;
}

export interface ValidateHooks {
  /** Each digest and log file once checked, valid or not (the CLI's --verbose lines). */
  readonly onChecked?: (checked: Checked) => void;
  readonly onFinding?: (finding: Finding) => void;
  readonly onProgress?: (progress: ValidationProgress) => void;
}

export interface ValidationReport {
  readonly trailArn: string;
  readonly startTime: Date;
  readonly endTime: Date;
  /** The span the valid digests cover, clipped to the range (the CLI's "Results found for"). */
  readonly foundStartTime?: Date;
  readonly foundEndTime?: Date;
  readonly digests: { readonly valid: number; readonly invalid: number };
  readonly logFiles: { readonly valid: number; readonly invalid: number };
  /** The schedule the newest-end and unlisted-object checks used. */
  readonly schedule: Schedule;
  readonly findings: readonly Finding[];
}

export interface Schedule {
  readonly digestIntervalSeconds: number;
  readonly graceSeconds: number;
}

/** Whether the archive verified: no finding of any kind. */
export const verified = (report: ValidationReport): boolean => report.findings.length === 0;

/** The request is unusable (no such trail, an organization trail): nothing was validated. */
export class ValidationSetupError extends Error {
  override readonly name = 'ValidationSetupError';
}

export const s3Uri = (bucket: string, key: string) => `s3://${bucket}/${key}`;

const HOUR_MS = 3_600_000;
/** The CLI lists digests up to an hour past the range (spill-over) and asks for keys valid two hours past it. */
const DIGEST_LISTING_SPILL_MS = HOUR_MS;
const PUBLIC_KEY_SPILL_MS = 2 * HOUR_MS;
/** The CLI starts its listing a minute before the range, so that the range is inclusive. */
const LISTING_MARKER_LEAD_MS = 60_000;
/** CloudTrail's digest period, and the digester's default. */
const DEFAULT_DIGEST_INTERVAL_SECONDS = 3600;
/** A late digest or delivery is missing after one more period, and never later than after five minutes. */
const MAX_DEFAULT_GRACE_SECONDS = 300;
/** A digest's JSON lists one line per archive object; past this it is refused rather than held in memory. */
const MAX_DIGEST_BYTES = 64 * 1024 * 1024;

interface ValidDigest {
  readonly key: string;
  readonly digest: DigestFile;
  readonly signature: string;
  readonly inflatedSha256: string;
}

type DigestLoad =
  | { readonly kind: 'valid'; readonly value: ValidDigest }
  | { readonly kind: 'digest-not-found' | 'digest-invalid'; readonly reason: string };

export async function validateArchive(
  request: ValidateRequest,
  ports: { readonly store: ObjectStore; readonly controlPlane: TrailControlPlane },
  hooks: ValidateHooks = {},
): Promise<ValidationReport> {
  const { store, controlPlane } = ports;
  const trail = trailOf(request.trailArn);
  const description = await controlPlane.describeTrail(request.trailArn);
  if (description === undefined) {
    throw new ValidationSetupError(`A trail could not be found for ${request.trailArn}`);
  }
  if (description.isOrganizationTrail) {
    throw new ValidationSetupError(
      `${request.trailArn} is an organization trail; OpenTrail trails never are`,
    );
  }
  const digests = { bucket: description.s3BucketName, trail, keyPrefix: description.s3KeyPrefix ?? '' };
  // The status before the listing: a digest delivered in between is then listed, never taken for a missing one.
  const status = await controlPlane.trailStatus(request.trailArn);
  const [listed, publicKeys] = await Promise.all([
    listDigestKeys(store, digests, request),
    controlPlane.publicKeys(request.startTime, new Date(request.endTime.getTime() + PUBLIC_KEY_SPILL_MS)),
  ]);
  const keys = new Map(publicKeys.map((key) => [key.fingerprint, loadPublicKey(key)] as const));

  const tally = new Tally(hooks);
  // Every read (digests and log files) takes one of `concurrency` slots, in order, so the walk waits for the log
  // files queued before it: at most one digest's list is ever waiting.
  const limit = pLimit(request.concurrency);
  const logFiles = new LogFileChecks(store, limit, tally);
  const walk = await walkChain(
    listed,
    request.startTime,
    digests.bucket,
    tally,
    (key) => limit(() => loadDigest(store, digests.bucket, key, keys, trail.region)),
    (valid, object) => logFiles.add(valid, object),
  );
  reportUnreached(listed, walk.visited, digests.bucket, tally);
  const schedule = scheduleOf(request, walk.newest);
  checkNewestEnd(
    request,
    schedule,
    status,
    walk.newest,
    walk.covered,
    s3Uri(digests.bucket, `${digestPrefix(trail, digests.keyPrefix)}/`),
    tally.report,
  );
  await logFiles.done();
  await checkUnlisted(
    request,
    schedule,
    store,
    logFiles.listedBy,
    walk.covered,
    listed,
    status,
    tally.report,
  );

  const { covered } = walk;
  return {
    trailArn: request.trailArn,
    startTime: request.startTime,
    endTime: request.endTime,
    ...(covered === undefined
      ? {}
      : {
          foundStartTime: new Date(Math.max(covered.from, request.startTime.getTime())),
          foundEndTime: new Date(Math.min(covered.to, request.endTime.getTime())),
        }),
    digests: tally.digests,
    logFiles: tally.logFiles,
    schedule,
    findings: tally.findings,
  };
}

/** Findings and counts as the validation goes, told to the hooks as they happen. */
class Tally {
  readonly findings: Finding[] = [];
  readonly digests = { valid: 0, invalid: 0 };
  readonly logFiles = { valid: 0, invalid: 0 };
  private logFilesFound = 0;

  constructor(private readonly hooks: ValidateHooks) {}

  /** Bound, so that it can be handed on as a function. */
  readonly report = (finding: Finding): void => {
    this.findings.push(finding);
    this.hooks.onFinding?.(finding);
  };

  logFileFound(): void {
    this.logFilesFound += 1;
    this.progress();
  }

  checked(type: Checked['type'], object: string, valid: boolean): void {
    const counts = type === 'digest' ? this.digests : this.logFiles;
    if (valid) counts.valid += 1;
    else counts.invalid += 1;
    this.hooks.onChecked?.({ type, object, valid });
    this.progress();
  }

  private progress(): void {
    this.hooks.onProgress?.({
      digests: this.digests.valid + this.digests.invalid,
      logFilesChecked: this.logFiles.valid + this.logFiles.invalid,
      logFilesFound: this.logFilesFound,
    });
  }
}

/** The log files of valid digests, checked in the background; who lists what, for the listed-twice and unlisted checks. */
class LogFileChecks {
  /** s3:// URI of each listed object -> the digest that lists it. */
  readonly listedBy = new Map<string, string>();
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly store: ObjectStore,
    private readonly limit: LimitFunction,
    private readonly tally: Tally,
  ) {}

  add(owner: ValidDigest, ownerUri: string): void {
    for (const logFile of owner.digest.logFiles) {
      const object = s3Uri(logFile.s3Bucket, logFile.s3Object);
      const earlier = this.listedBy.get(object);
      if (earlier !== undefined) {
        this.tally.report({
          kind: 'log-listed-twice',
          object,
          reason: `listed by ${earlier === ownerUri ? 'one digest twice' : `two digests: ${earlier} and ${ownerUri}`}`,
        });
      }
      this.listedBy.set(object, ownerUri);
      this.tally.logFileFound();
      const check = this.limit(async () => {
        const problem = await checkLogFile(this.store, logFile);
        if (problem !== undefined) this.tally.report({ ...problem, object });
        this.tally.checked('log', object, problem === undefined);
      });
      this.pending.add(check);
      check.then(
        () => this.pending.delete(check),
        () => undefined,
      );
    }
  }

  /** Every check queued so far, finished; rejects with the first read that failed. */
  async done(): Promise<void> {
    await Promise.all(this.pending);
  }
}

interface ChainWalk {
  readonly visited: ReadonlySet<string>;
  /** The first valid digest of the walk, which starts at the newest end. */
  readonly newest?: NewestDigest;
  /** What the valid digests cover: the span whose archive objects must all be listed. */
  readonly covered?: Span;
}

/**
 * The walk of the CLI's _traverse_digest_chain: the newest listed digest first, then each digest's previous one;
 * past a digest that is gone or invalid, the next older listed one. Each valid digest goes to `onValid` at once.
 */
async function walkChain(
  listed: readonly ListedObject[],
  startTime: Date,
  bucket: string,
  tally: Tally,
  load: (key: string) => Promise<DigestLoad>,
  onValid: (digest: ValidDigest, object: string) => void,
): Promise<ChainWalk> {
  const remaining = listed.map(({ key }) => key);
  const visited = new Set<string>();
  let newest: NewestDigest | undefined;
  let covered: Span | undefined;
  const olderListed = (than: string) => {
    const time = keyTimeOf(than);
    while (remaining.length > 0) {
      const next = remaining.pop();
      if (next !== undefined && keyTimeOf(next) < time) return next;
    }
    return undefined;
  };
  let key = remaining.pop();
  let lastStart = key === undefined ? undefined : parseKeyTime(keyTimeOf(key));
  /** The valid digest whose previousDigest* fields led here: its claims about this digest are checked. */
  let linkedFrom: ValidDigest | undefined;
  while (key !== undefined && lastStart !== undefined && startTime <= lastStart) {
    visited.add(key);
    const object = s3Uri(bucket, key);
    const loaded = await load(key);
    if (loaded.kind !== 'valid') {
      tally.report({ kind: loaded.kind, object, reason: loaded.reason });
      tally.checked('digest', object, false);
      key = olderListed(key);
      linkedFrom = undefined;
      continue;
    }
    const current = loaded.value;
    const { digest } = current;
    covered = widen(covered, digest);
    newest ??= {
      object,
      startMs: Date.parse(digest.digestStartTime),
      endMs: Date.parse(digest.digestEndTime),
      linked: digest.previousDigestS3Object !== null,
    };
    tally.checked('digest', object, true);
    if (linkedFrom !== undefined) checkLink(linkedFrom, current, bucket, tally.report);
    onValid(current, object);
    lastStart = new Date(digest.digestStartTime);
    const next = previousOf(current, bucket, visited);
    if (next.kind === 'previous') {
      key = next.key;
      linkedFrom = current;
      continue;
    }
    key = olderListed(key);
    linkedFrom = undefined;
    // The digester writes one digest per period: a chain that starts with older digests listed is broken.
    if (next.kind === 'start' && key !== undefined) {
      tally.report({
        kind: 'chain-break',
        object,
        reason: `starts a new chain (no previous digest) while ${s3Uri(bucket, key)} is older`,
      });
    }
    if (next.kind === 'break') tally.report({ kind: 'chain-break', object, reason: next.reason });
  }
  return { visited, newest, covered };
}

/** Where a valid digest's previousDigest* fields lead: its previous digest, the chain's start, or nowhere sound. */
function previousOf(
  { key, digest }: ValidDigest,
  bucket: string,
  visited: ReadonlySet<string>,
): { kind: 'previous'; key: string } | { kind: 'start' } | { kind: 'break'; reason: string } {
  const previousBucket = digest.previousDigestS3Bucket;
  const previousKey = digest.previousDigestS3Object;
  if (previousBucket === null || previousKey === null) return { kind: 'start' };
  if (previousBucket !== bucket) {
    return {
      kind: 'break',
      reason: `its previous digest is in another bucket: ${s3Uri(previousBucket, previousKey)}`,
    };
  }
  // A chain only goes back in time; anything else would walk in circles.
  if (visited.has(previousKey) || keyTimeOf(previousKey) >= keyTimeOf(key)) {
    return {
      kind: 'break',
      reason: `its previous digest ${s3Uri(previousBucket, previousKey)} is not older than itself`,
    };
  }
  return { kind: 'previous', key: previousKey };
}

/** Listed digests newer than the walk's oldest that it never reached: a chain that skips them. */
function reportUnreached(
  listed: readonly ListedObject[],
  visited: ReadonlySet<string>,
  bucket: string,
  tally: Tally,
): void {
  let oldestVisited: string | undefined;
  for (const key of visited) {
    const time = keyTimeOf(key);
    if (oldestVisited === undefined || time < oldestVisited) oldestVisited = time;
  }
  if (oldestVisited === undefined) return;
  for (const { key } of listed) {
    if (visited.has(key) || keyTimeOf(key) < oldestVisited) continue;
    tally.report({
      kind: 'digest-not-in-chain',
      object: s3Uri(bucket, key),
      reason: "is a digest of the trail's that no digest of the chain points to",
    });
  }
}
interface NewestDigest {
  readonly object: string;
  readonly startMs: number;
  readonly endMs: number;
  /** Whether it has a previous digest: a chain's first period may be shorter than the schedule's. */
  readonly linked: boolean;
}

/** The schedule as asked, else as the newest digest that follows another shows it. */
function scheduleOf(request: ValidateRequest, newest: NewestDigest | undefined): Schedule {
  const observed =
    newest?.linked === true && newest.endMs > newest.startMs
      ? Math.round((newest.endMs - newest.startMs) / 1000)
      : undefined;
  const digestIntervalSeconds = request.digestIntervalSeconds ?? observed ?? DEFAULT_DIGEST_INTERVAL_SECONDS;
  return {
    digestIntervalSeconds,
    graceSeconds: request.graceSeconds ?? Math.min(digestIntervalSeconds, MAX_DEFAULT_GRACE_SECONDS),
  };
}

interface Span {
  readonly from: number;
  readonly to: number;
}

/** The span widened to a digest's period. */
const widen = (span: Span | undefined, digest: DigestFile): Span => {
  const from = Date.parse(digest.digestStartTime);
  const to = Date.parse(digest.digestEndTime);
  return span === undefined ? { from, to } : { from: Math.min(span.from, from), to: Math.max(span.to, to) };
};

function trailOf(trailArn: string): TrailIdentity {
  try {
    return parseTrailArn(trailArn);
  } catch {
    throw new ValidationSetupError(`Invalid trail ARN provided: ${trailArn}`);
  }
}

/** The trail's digest keys in the range, oldest first, as the CLI's load_all_digest_keys_in_range. */
async function listDigestKeys(
  store: ObjectStore,
  {
    bucket,
    trail,
    keyPrefix,
  }: { readonly bucket: string; readonly trail: TrailIdentity; readonly keyPrefix: string },
  request: ValidateRequest,
): Promise<ListedObject[]> {
  const pattern = digestKeyPattern(trail, keyPrefix);
  const timeAt = (ms: number) => keyTimeOf(digestKeyAt(trail, keyPrefix, new Date(ms)));
  const from = timeAt(request.startTime.getTime());
  const to = timeAt(request.endTime.getTime() + DIGEST_LISTING_SPILL_MS);
  const marker = digestKeyAt(
    trail,
    keyPrefix,
    new Date(request.startTime.getTime() - LISTING_MARKER_LEAD_MS),
  );
  const keys: ListedObject[] = [];
  for await (const object of store.list(bucket, digestPrefix(trail, keyPrefix), marker)) {
    if (!pattern.test(object.key)) continue;
    const time = keyTimeOf(object.key);
    if (time > to) break;
    if (time >= from) keys.push(object);
  }
  return keys;
}

/** A key object, or why the listed value is not a PKCS#1 RSA public key (the CLI's "Unable to load PKCS #1 key"). */
function loadPublicKey(key: PublicKey): KeyObject | string {
  try {
    return createPublicKey({ key: Buffer.from(key.value), format: 'der', type: 'pkcs1' });
  } catch {
    return `Unable to load PKCS #1 key with fingerprint ${key.fingerprint}`;
  }
}

/** Reads a digest and checks it as the CLI's _load_and_validate_digest and Sha256RSADigestValidator do. */
async function loadDigest(
  store: ObjectStore,
  bucket: string,
  key: string,
  keys: ReadonlyMap<string, KeyObject | string>,
  region: string,
): Promise<DigestLoad> {
  const object = await store.get(bucket, key);
  if (object === undefined) return { kind: 'digest-not-found', reason: 'not found' };
  const invalid = (reason: string): DigestLoad => ({ kind: 'digest-invalid', reason });
  const compressed = await readAtMost(object.body, MAX_DIGEST_BYTES);
  if (compressed === undefined) return invalid(`invalid format: more than ${MAX_DIGEST_BYTES} bytes`);
  let json: string;
  let parsed: unknown;
  try {
    json = gunzipSync(compressed, { maxOutputLength: MAX_DIGEST_BYTES }).toString('utf8');
    parsed = JSON.parse(json);
  } catch {
    return invalid('invalid format');
  }
  const digest = asDigestFile(parsed);
  if (digest === undefined) return invalid('invalid format');
  const signature = object.metadata[SIGNATURE_METADATA.signature];
  const algorithm = object.metadata[SIGNATURE_METADATA.algorithm];
  if (signature === undefined || algorithm === undefined) {
    return invalid('signature verification failed (no signature metadata)');
  }
  if (digest.digestS3Bucket !== bucket || digest.digestS3Object !== key) {
    return invalid(
      `has been moved from its original location (it says ${s3Uri(digest.digestS3Bucket, digest.digestS3Object)})`,
    );
  }
  const publicKey = keys.get(digest.digestPublicKeyFingerprint);
  if (publicKey === undefined) {
    return invalid(
      `public key not found in region ${region} for fingerprint ${digest.digestPublicKeyFingerprint}`,
    );
  }
  if (typeof publicKey === 'string') return invalid(publicKey);
  if (algorithm !== DIGEST_SIGNATURE_ALGORITHM) {
    return invalid(`signature algorithm ${algorithm} is not ${DIGEST_SIGNATURE_ALGORITHM}`);
  }
  const inflatedSha256 = sha256Hex(json);
  const signed = Buffer.from(digestStringToSign(digest, json), 'utf8');
  if (
    !/^([0-9a-f]{2})+$/i.test(signature) ||
    !verify('sha256', signed, publicKey, Buffer.from(signature, 'hex'))
  ) {
    return invalid('signature verification failed');
  }
  return { kind: 'valid', value: { key, digest, signature, inflatedSha256 } };
}

/** What a newer digest says of its previous one must be that digest: its hash, its signature, its end time. */
function checkLink(
  newer: ValidDigest,
  older: ValidDigest,
  bucket: string,
  report: (finding: Finding) => void,
): void {
  const object = s3Uri(bucket, older.key);
  const newerUri = s3Uri(bucket, newer.key);
  const { digest } = newer;
  if (digest.previousDigestHashValue !== older.inflatedSha256) {
    report({
      kind: 'chain-link',
      object,
      reason: `its SHA-256 is ${older.inflatedSha256}, but ${newerUri} says previousDigestHashValue ${digest.previousDigestHashValue ?? 'null'}`,
    });
  }
  if (digest.previousDigestSignature !== older.signature) {
    report({
      kind: 'chain-link',
      object,
      reason: `its signature differs from the previousDigestSignature of ${newerUri}`,
    });
  }
  if (Date.parse(digest.digestStartTime) !== Date.parse(older.digest.digestEndTime)) {
    report({
      kind: 'chain-gap',
      object,
      reason: `ends at ${older.digest.digestEndTime}, but the next digest ${newerUri} starts at ${digest.digestStartTime}`,
    });
  }
}

/** The whole body, or undefined past `maxBytes`. */
async function readAtMost(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * The CLI's _download_log with the digester's own reading of an object (exactly one gzip member, trailer checked):
 * undefined when the object is what the digest says.
 */
async function checkLogFile(
  store: ObjectStore,
  logFile: DigestLogFile,
): Promise<Omit<Finding, 'object'> | undefined> {
  const object = await store.get(logFile.s3Bucket, logFile.s3Object);
  if (object === undefined) return { kind: 'log-not-found', reason: 'not found' };
  let hashValue: string;
  try {
    ({ hashValue } = await summariseArchiveObject(object.body));
  } catch (error) {
    if (!(error instanceof ArchiveObjectRefusedError)) throw error;
    return {
      kind: 'log-refused',
      reason: `${error.message}: the AWS CLI hashes only the first member, readers see every byte`,
    };
  }
  if (hashValue !== logFile.hashValue) return { kind: 'log-invalid', reason: "hash value doesn't match" };
  return undefined;
}

/**
 * Digests missing at the newest end, which the CLI cannot tell from a range with nothing more in it: GetTrailStatus
 * says when the newest digest was delivered, and the schedule says when the next one was due.
 */
function checkNewestEnd(
  request: ValidateRequest,
  schedule: Schedule,
  status: TrailStatus,
  newestValid: NewestDigest | undefined,
  covered: Span | undefined,
  where: string,
  report: (finding: Finding) => void,
): void {
  const intervalMs = schedule.digestIntervalSeconds * 1000;
  const graceMs = schedule.graceSeconds * 1000;
  const newestText =
    newestValid === undefined
      ? `no valid digest of the range is in ${where}`
      : `the newest valid digest is ${newestValid.object}, ending ${new Date(newestValid.endMs).toISOString()}`;
  const delivered = status.latestDigestDeliveryTime;
  const horizon = request.endTime.getTime() + DIGEST_LISTING_SPILL_MS;
  // The digester cuts the next digest at least half an interval after the newest one's (signed) end time and
  // delivers it after that, so a delivery half an interval or more past the newest valid digest's end is another
  // digest. The newest digest's own delivery may come well after its end: a long cut, or a run that resumed it after
  // a crash (and, less than half an interval on, cut no other). S3's LastModified would not do: putting an old
  // digest back moves it.
  if (
    delivered !== undefined &&
    delivered.getTime() >= request.startTime.getTime() &&
    delivered.getTime() <= horizon &&
    (newestValid === undefined || delivered.getTime() - newestValid.endMs >= intervalMs / 2)
  ) {
    report({
      kind: 'digest-missing-newest',
      object: where,
      reason: `GetTrailStatus says a digest was delivered at ${delivered.toISOString()}, but ${newestText}`,
    });
    return;
  }
  // The schedule: only a range that reaches the present expects a digest at its end.
  if (request.endTime.getTime() < request.now.getTime() - intervalMs) return;
  const since = covered?.to ?? status.startLoggingTime?.getTime();
  if (since === undefined) return;
  const overdueMs = request.now.getTime() - since - intervalMs - graceMs;
  if (overdueMs > 0) {
    report({
      kind: 'digest-missing-newest',
      object: where,
      reason: `no digest since ${new Date(since).toISOString()}: one is due every ${schedule.digestIntervalSeconds} s (${schedule.graceSeconds} s grace), ${newestText}${status.latestDigestDeliveryError === undefined ? '' : `; GetTrailStatus: ${status.latestDigestDeliveryError}`}`,
    });
  }
}

/** `YYYY/MM/DD/HH`, the hour folder of an archive key. */
const hourFolder = (time: number) => new Date(time).toISOString().slice(0, 13).replace(/[-T]/g, '/');

/**
 * Archive objects in the span the chain covers that no digest lists: objects the trail never delivered (someone
 * else wrote them) or whose digest is gone. Objects delivered within `grace` of the newest digest may still be
 * waiting for the next one.
 */
async function checkUnlisted(
  request: ValidateRequest,
  schedule: Schedule,
  store: ObjectStore,
  listedBy: ReadonlyMap<string, string>,
  covered: Span | undefined,
  listed: readonly ListedObject[],
  status: TrailStatus,
  report: (finding: Finding) => void,
): Promise<void> {
  const newestListed = listed.at(-1);
  // A digest that is there but invalid, or that the trail says it delivered, still covered its period.
  const coveredTo = Math.max(
    covered?.to ?? Number.NEGATIVE_INFINITY,
    newestListed === undefined
      ? Number.NEGATIVE_INFINITY
      : parseKeyTime(keyTimeOf(newestListed.key)).getTime(),
    status.latestDigestDeliveryTime?.getTime() ?? Number.NEGATIVE_INFINITY,
  );
  const windowStart = Math.max(request.startTime.getTime(), covered?.from ?? Number.NEGATIVE_INFINITY);
  const windowEnd = Math.min(request.endTime.getTime(), coveredTo - schedule.graceSeconds * 1000);
  if (!(windowStart <= windowEnd)) return;
  const { bucket, prefix } = request.archive;
  // Keys are by the hour their oldest record arrived, never after the object was written.
  const startAfter = `${prefix}${hourFolder(windowStart - HOUR_MS)}/`;
  const stopAfter = `${prefix}${hourFolder(windowEnd)}/\u{10ffff}`;
  for await (const { key, lastModified } of store.list(bucket, prefix, startAfter)) {
    if (key > stopAfter) break;
    const written = lastModified.getTime();
    if (written < windowStart || written > windowEnd) continue;
    const object = s3Uri(bucket, key);
    if (!listedBy.has(object)) {
      report({
        kind: 'object-unlisted',
        object,
        reason: `written ${lastModified.toISOString()}, is listed by no digest (the trail never delivered it, or its digest is gone)`,
      });
    }
  }
}
