/**
 * Every size and count limit OpenTrail enforces, in one place. Byte limits count UTF-8 bytes of the JSON
 * serialisation, as CloudTrail does (DESIGN.md §3).
 */
export const KB = 1024;

export const LIMITS = {
  /** The whole stored record, OpenTrail's metadata included (CloudTrail, CloudWatch Logs, EventBridge: 256 KB). */
  eventBytes: 256 * KB,
  /**
   * A page (the item holding the events of one request that share a source, shard and eventTime minute;
   * docs/storage.md) takes another event while its records come to less than this, so with one more of the largest
   * (eventBytes) it stays far below DynamoDB's 400 KB item, deflated or not; and a lookup that wants one event of a
   * page reads little else with it.
   */
  pageOpenBytes: 36 * KB,
  requestParametersBytes: 100 * KB,
  responseElementsBytes: 100 * KB,
  additionalEventDataBytes: 28 * KB,
  /** userAgent, errorCode, errorMessage, requestID and the other free-text fields. */
  shortFieldBytes: 1 * KB,
  /** eventSource, eventName, identities and resource types become key values; DynamoDB caps keys at 2 KB. */
  keyFieldBytes: 1 * KB,
  /** Resource ARNs become key values too: DynamoDB partition keys hold at most 2,048 bytes. */
  resourceArnBytes: 2000,
  /**
   * Each resource puts the event in up to two posting lists (its ARN's, its type's; docs/storage.md), so this caps
   * what one event can make the table write: its share of a page and at most 24 lists (20 for resources, 4 for the
   * feed, EventName, Username and AccessKeyId), about 2,400 items for a full request in which no two events share a
   * value.
   * CloudTrail's events name one to a few.
   */
  resourcesPerEvent: 10,
  /** Objects nested deeper than this are refused: deeper JSON is almost always an attack or a bug. */
  nestingDepth: 64,
  eventsPerRequest: 100,
  requestBytes: 1024 * KB,
  /** Producer idempotency ids, as CloudTrail Lake's PutAuditEvents defines them. */
  producerIdPattern: /^[-_A-Za-z0-9]{1,128}$/,
  /** How far into the future an eventTime may lie (clock skew between producers and OpenTrail). */
  futureSkewMs: 15 * 60 * 1000,
  /**
   * The longest one put may run: the ingest function's timeout (lambda/manifest/functions.ts reads it), above the
   * write path's usual worst case with a stalled store (about 22 s, DynamoDbEventStore writeBudgetMs). Claims
   * that keep moving can take longer: the function then times out (API Gateway answers 5xx; the ingest route
   * does not answer before its timeout), and the retry finds its ids held (Throttling with retryAfterSeconds)
   * until they settle.
   */
  putAttemptMs: 25_000,
  lookupMaxResults: 1000,
  lookupDefaultMaxResults: 50,
  /**
   * What one lookup page may cost, whatever producers sent (docs/storage.md, "What a lookup page costs"). A page
   * merges one partition per shard of its driving value (two per shard for the feed of every event).
   */
  /** Query calls of one page: the merge's first fetches plus its refills. */
  lookupQueriesPerPage: 512,
  /** Store calls of one lookup outstanding at once (DynamoDB's client keeps 50 sockets). */
  lookupConcurrency: 32,
  /** Records one page reads (BatchGetItem keys), matching or not, and their bytes: a filter cannot make it read on. */
  lookupRecordsPerPage: 2000,
  lookupReadBytesPerPage: 16 * 1024 * KB,
  /**
   * The records of one page, as they sit in the function's response: Lambda's synchronous response limit (6 MB) is
   * on the whole result, where the body is an escaped JSON string. 64 KB of headroom is left for the status, the
   * headers, the nextToken and the page's own wrapper.
   */
  lookupPageBytes: 6 * 1024 * KB - 64 * KB,
  /** CloudTrail's LookupEvents MaxResults range, kept on the wire-compatible endpoint (docs/cloudtrail-compat.md). */
  cloudTrailLookupMaxResults: 50,
  /** CloudTrail's LookupAttributeValue: 1 to 2,000 characters (botocore cloudtrail model). */
  lookupAttributeValueChars: 2000,
  /** DescribeTrails' trailNameList: OpenTrail serves one trail, so a longer list can only repeat or miss it. */
  cloudTrailTrailNames: 50,
  /** Signing keys one ListPublicKeys reads from the ledger's registry: decades of monthly rotations. */
  signingKeysRead: 1000,
  /** CloudTrail Data's per-event ErrorMessage: 1 to 1,024 characters (botocore cloudtrail-data model). */
  auditEventErrorMessageChars: 1024,
  retentionDays: { min: 1, max: 3650, default: 90 },
  writeShards: { min: 1, max: 32, default: 16 },
  /** Trail selectors (docs/selectors.md): CloudTrail's AdvancedEventSelector limits, plus a cap on regions. */
  selectors: {
    /** Values across every condition of every advanced selector of a trail (CloudTrail PutEventSelectors). */
    valuesPerTrail: 500,
    /** One condition value (CloudTrail OperatorValue: 1 to 2,048 characters). */
    valueChars: 2048,
    /** An advanced selector's name (CloudTrail SelectorName). */
    nameChars: 1000,
    regions: 100,
  },
  /** Redaction rules: configured key names and JSON paths (docs/selectors.md). */
  redactionRules: 200,
  /** What one digester run may do: the digest's and the run's bounds (the function's timeout is sized for them). */
  digester: {
    /**
     * Objects one digest lists: head.inProgress names each (about 150 bytes of key), within DynamoDB's 400 KB item,
     * and the digest's JSON stays under 500 KB. More pending objects wait for the next digest.
     */
    objectsPerDigest: 1000,
    /** Notifications one run hashes; the rest wait in the queue for the next run. */
    objectsPerRun: 1000,
    /** SQS ReceiveMessage returns at most 10 messages. */
    messagesPerReceive: 10,
    /** What a run keeps of its invocation time for the cut (ledger writes, one KMS Sign, one PutObject). */
    cutReserveMs: 30_000,
    /** Ledger writes of a cut in flight at once. */
    writeConcurrency: 16,
  },
} as const;
