/**
 * What OpenTrail costs per million events, stage by stage, from quantities the benchmarks measure (bytes per
 * event, records per call, invocations, billed milliseconds). One table of prices; pure functions only, so the
 * unit tests pin the arithmetic and later benchmarks (API, ingest Lambda, DynamoDB, insights, the all-in total)
 * add stages without touching the ones here.
 */

/** A unit price in US dollars, us-east-1, first pricing tier. */
export interface Price {
  readonly usd: number;
  /** What one `usd` buys. */
  readonly per: string;
  /** Where the figure was checked (DESIGN.md §10 asks for each to be checked against the AWS price pages). */
  readonly source: string;
}

/**
 * Prices as of the check (search of the stored pricing pages). DESIGN.md §10 listed most of these; issue 17
 * corrected the Standard-IA table class (no longer derived), Lake's other ingestion prices and how Insights counts
 * analysed events. Where a first-party page was not in the index, the third-party pages that quote it are named.
 */
export const PRICES = {
  /** Confirmed: $1.00 per million for the first 300 million a month ($0.90 after). */
  httpApiRequest: {
    usd: 1.0,
    per: '1,000,000 HTTP API requests',
    source:
      'aws.amazon.com/api-gateway/pricing as quoted by amnic.com and awsforengineers.com (HTTP API, first 300 M/month, US East)',
  },
  /** Confirmed: Arm $0.0000133334 per GB-s for the first 7.5 billion GB-s a month; duration rounded up to 1 ms. */
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second (arm64)',
    source:
      'aws.amazon.com/lambda/pricing ("rounded up to the nearest 1 ms"); cloudchipr.com Arm tier table, US East',
  },
  /** Confirmed: $0.20 per million requests, either architecture. */
  lambdaRequest: {
    usd: 0.2,
    per: '1,000,000 Lambda requests',
    source:
      'aws.amazon.com/lambda/pricing; cloudchipr.com and lambda cost notes quoting it (x86 and arm64 alike)',
  },
  /** Confirmed: the November 2024 on-demand price cut halved the older $1.25. */
  dynamodbWru: {
    usd: 0.625,
    per: '1,000,000 write request units (on-demand)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand as quoted by airbyte.com (after the Nov 2024 50% cut)',
  },
  /** Confirmed: halved from $0.25 in November 2024. */
  dynamodbRru: {
    usd: 0.125,
    per: '1,000,000 read request units (on-demand)',
    source: 'aws.amazon.com/dynamodb/pricing/on-demand as quoted by airbyte.com (after the Nov 2024 50% cut)',
  },
  /**
   * The Standard-IA table class, on-demand: 25% dearer requests than the Standard class (issue 17's figures; the
   * ratio is the one every price list shows, e.g. 0.0725 vs 0.058 on the China page). Storage 60% cheaper, and the
   * 25 GB free tier is the Standard class's only.
   */
  dynamodbIaWru: {
    usd: 0.78,
    per: '1,000,000 write request units (on-demand, Standard-IA table class)',
    source:
      'issue 17 (aws.amazon.com/dynamodb/pricing/on-demand, us-east-1); ratio 1.25 confirmed on amazonaws.cn/en/dynamodb/pricing (Standard-IA write 0.0725 vs Standard 0.058); finops.com.py table-classes ("~25% higher")',
  },
  dynamodbIaRru: {
    usd: 0.155,
    per: '1,000,000 read request units (on-demand, Standard-IA table class)',
    source:
      'issue 17 (aws.amazon.com/dynamodb/pricing/on-demand, us-east-1); amazonaws.cn/en/dynamodb/pricing (Standard-IA read 1.25x Standard)',
  },
  dynamodbIaStorageGbMonth: {
    usd: 0.1,
    per: 'GB-month of table storage (Standard-IA table class, no free tier)',
    source:
      'aws.amazon.com/dynamodb/pricing as quoted by finops.com.py table-classes and the "DynamoDB Storage Classes" notes ($0.10 per GB-month vs $0.25)',
  },
  /**
   * Confirmed: $0.25 per GB-month (Standard table class). Its first 25 GB a month are free (an account-wide
   * allowance, Standard class only): the model does not subtract it.
   */
  dynamodbStorageGbMonth: {
    usd: 0.25,
    per: 'GB-month of table storage',
    source: 'aws.amazon.com/dynamodb/pricing ("prices start from $0.25 per GB-month")',
  },
  /**
   * Confirmed: Direct PUT, first 500 TB a month; every record billed rounded up to the next 5 KB (5,120 bytes),
   * the rounding applies per record, not per call.
   */
  firehoseIngestionGb: {
    usd: 0.029,
    per: 'GB ingested (Direct PUT, each record rounded up to 5 KB)',
    source:
      'aws.amazon.com/firehose/pricing (de/ru/tr pages: "5-KB-Schritten", 42 KB record billed as 45 KB, 5 KB = 5,120 bytes); $0.029 for the first 500 TB/month in AWS samples cost notes',
  },
  /** Confirmed: Standard log class ($0.25 in the Infrequent Access class, which has no metric filters). */
  logsIngestionGb: {
    usd: 0.5,
    per: 'GB ingested into CloudWatch Logs (Standard class)',
    source: 'aws.amazon.com/cloudwatch/pricing as quoted by c3x.dev (us-east-1, 2026) and hivebook.wiki',
  },
  /** Confirmed; billed on the archived (compressed) size, see LOGS_ARCHIVE_COMPRESSION. */
  logsStorageGbMonth: {
    usd: 0.03,
    per: 'GB-month of CloudWatch Logs archive',
    source: 'aws.amazon.com/cloudwatch/pricing as quoted by c3x.dev and hykell.com (us-east-1)',
  },
  /** Confirmed: first 50 TB a month. */
  s3StandardGbMonth: {
    usd: 0.023,
    per: 'GB-month of S3 Standard',
    source: 'aws.amazon.com/s3/pricing as quoted by c3x.dev and deepeshsoni.com (US East, first 50 TB)',
  },
  /** Confirmed: PUT, COPY, POST and LIST. */
  s3PutRequest: {
    usd: 0.005,
    per: '1,000 S3 Standard PUT requests',
    source: 'aws.amazon.com/s3/pricing as quoted by c3x.dev and awsi.click (us-east-1)',
  },
  /**
   * Confirmed for symmetric-key requests (Encrypt, Decrypt, GenerateDataKey). Asymmetric requests such as Sign
   * (the digest of DESIGN.md §8) are priced apart on aws.amazon.com/kms/pricing (its footnote names them; one
   * third-party page says 5x): check before the integrity stage uses this price.
   */
  kmsRequest: {
    usd: 0.03,
    per: '10,000 KMS requests (symmetric)',
    source: 'aws.amazon.com/kms/pricing; wring.co KMS pricing guide',
  },
  /** Standard-IA, the archive's storage class from day 90 (lib/defaults/s3.ts ARCHIVE_LIFECYCLE_DEFAULTS). */
  s3InfrequentAccessGbMonth: {
    usd: 0.0125,
    per: 'GB-month of S3 Standard-IA (128 KB minimum billable object size)',
    source:
      'aws.amazon.com/s3/pricing as quoted by gist regispires "Object Storage pricing" (US East, $0.0125) and pyongwonlee.com (128 KB and 30-day minimums)',
  },
  /** A lifecycle transition into Standard-IA is a billed request. */
  s3LifecycleTransitionRequest: {
    usd: 0.01,
    per: '1,000 S3 lifecycle transition requests into Standard-IA',
    source:
      'aws.amazon.com/s3/pricing as quoted by doit.com ("$0.01 for every 1000 transitions ... to Infrequent Access")',
  },
  /**
   * Continuous backups (PITR), billed on the size of the table and its local secondary indexes (not its global
   * secondary indexes), whatever the recovery period.
   */
  dynamodbPitrGbMonth: {
    usd: 0.2,
    per: 'GB-month of table size with point-in-time recovery',
    source:
      'aws.amazon.com/dynamodb/pricing as quoted by finops.com.py ("$0.20 per GB-month"); DynamoDB developer guide, Point-in-time-recovery ("the price is based on the size of table and local secondary indexes")',
  },
  /** CloudTrail, us-east-1: what the same volume would cost there (DESIGN.md §11). */
  cloudTrailManagementEventCopy: {
    usd: 2.0,
    per: '100,000 management events delivered by a trail (additional copies; the first copy is free)',
    source:
      'aws.amazon.com/cloudtrail/pricing; AWS Price List API (AWSCloudTrail, us-east-1, effective 2025-07-01: PaidEventsRecorded $0.00002 per event) as transcribed in a public pricing notes file retrieved 2025-10-28',
  },
  cloudTrailDataEvent: {
    usd: 0.1,
    per: '100,000 data events delivered by a trail',
    source: 'aws.amazon.com/cloudtrail/pricing; AWS Price List API transcription above ($0.001 per 1,000)',
  },
  /**
   * Per analysed event and Insights type. A write management event is analysed twice with both types enabled (call
   * rate and error rate); a read-only one once, for the error rate only.
   */
  cloudTrailInsightsEvent: {
    usd: 0.35,
    per: '100,000 events analysed by CloudTrail Insights',
    source:
      'aws.amazon.com/cloudtrail/pricing; User Guide, insights-events-costs ("CloudTrail will analyze the write-only management events twice ... The read-only management events will be analyzed once to calculate the API error rate")',
  },
  /** One-year extendable retention pricing: the first 366 days of storage are included in ingestion. */
  cloudTrailLakeIngestionGb: {
    usd: 0.5,
    per: 'GB ingested into CloudTrail Lake from non-AWS sources (one-year extendable retention, 366 days included)',
    source:
      'aws.amazon.com/cloudtrail/pricing; AWS Price List API transcription above ("Data Ingestion with 1-Year Retention: Other Data Sources $0.50 per GB"); User Guide, cloudtrail-lake-manage-costs ("For the first 366 days ... storage is included")',
  },
  cloudTrailLakeCloudTrailEventsGb: {
    usd: 0.75,
    per: 'GB of CloudTrail events ingested into CloudTrail Lake (one-year extendable retention)',
    source:
      'aws.amazon.com/cloudtrail/pricing; AWS Price List API transcription above ("Live CloudTrail Logs: $0.75 per GB")',
  },
  cloudTrailLakeSevenYearGb: {
    usd: 2.5,
    per: 'GB ingested into CloudTrail Lake on the seven-year retention option (first 5 TB a month; retention included)',
    source:
      'aws.amazon.com/cloudtrail/pricing; AWS Price List API transcription above ("First 5TB: $2.50 per GB"); User Guide, cloudtrail-lake-manage-costs (FIXED_RETENTION_PRICING, 2,557 days)',
  },
} as const satisfies Record<string, Price>;

/** HTTP APIs meter a request in 512 KB steps: a 513 KB request counts as two (API Gateway pricing). */
export const HTTP_API_METERING_STEP_BYTES = 512 * 1024;
/** DynamoDB bills every stored item with 100 bytes of indexing overhead (Developer Guide, item sizes). */
export const DYNAMODB_ITEM_STORAGE_OVERHEAD_BYTES = 100;
/** Days in an average month, to turn a retention in days into billed months. */
export const DAYS_PER_MONTH = 365 / 12;

/** Billing units. AWS bills a "GB" of storage or data as 2^30 bytes (the S3 pricing example divides by 1,073,741,824). */
export const BYTES_PER_GB = 2 ** 30;
/** Firehose rounds every record up to a multiple of 5 KB = 5,120 bytes (Firehose pricing page). */
export const FIREHOSE_BILLING_STEP_BYTES = 5 * 1024;
/**
 * CloudWatch Logs bills archive storage on the compressed size; the AWS Pricing Calculator assumes the archive
 * is 15% of the ingested volume (dev.classmethod.jp quoting the calculator's "Storage compression factor").
 */
export const LOGS_ARCHIVE_COMPRESSION = 0.15;
export const MILLION = 1_000_000;

// ---- units -----------------------------------------------------------------------------------------------------

/** Bytes a Firehose record is billed as: rounded up to the next 5 KB step (a record is never free). */
export function firehoseBilledBytes(recordBytes: number): number {
  if (!(recordBytes > 0)) throw new Error(`a Firehose record has at least one byte, not ${recordBytes}`);
  return Math.ceil(recordBytes / FIREHOSE_BILLING_STEP_BYTES) * FIREHOSE_BILLING_STEP_BYTES;
}

/** Billed Firehose bytes per event for records carrying `events` events in all. */
export function firehoseBilledBytesPerEvent(recordSizes: readonly number[], events: number): number {
  if (events <= 0) throw new Error('no events');
  return recordSizes.reduce((sum, bytes) => sum + firehoseBilledBytes(bytes), 0) / events;
}

/** Lambda bills duration rounded up to the next millisecond, at least 1 ms. */
export function lambdaBilledMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

/** Dollars for a million events when each event needs `bytesPerEvent` billed at `price` per GB. */
export const usdPerMillionForBytes = (bytesPerEvent: number, pricePerGb: Price): number =>
  ((bytesPerEvent * MILLION) / BYTES_PER_GB) * pricePerGb.usd;

/** Dollars for a million events when each event causes `countPerEvent` of something priced per `unitsPerPrice`. */
export const usdPerMillionForCount = (countPerEvent: number, price: Price, unitsPerPrice: number): number =>
  ((countPerEvent * MILLION) / unitsPerPrice) * price.usd;

// ---- stages ----------------------------------------------------------------------------------------------------

/** One billed quantity of a stage, per million events. */
export interface CostLine {
  readonly what: string;
  /** How much of the unit a million events use. */
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

/** What one stage of the system costs per million events, with the lines it adds up. */
export interface StageCost {
  readonly stage: string;
  readonly usdPerMillionEvents: number;
  readonly lines: readonly CostLine[];
}

export function stage(name: string, lines: readonly CostLine[]): StageCost {
  return { stage: name, usdPerMillionEvents: lines.reduce((sum, line) => sum + line.usd, 0), lines };
}

export interface LambdaConsumerInput {
  /** Function name, for the printed lines. */
  readonly name: string;
  readonly memoryMb: number;
  readonly eventsPerInvocation: number;
  /** Wall time of one invocation, before Lambda's rounding. */
  readonly durationMs: number;
  /** What the function itself writes to its own log group per invocation (its log lines, START/END/REPORT). */
  readonly logBytesPerInvocation: number;
}

/**
 * Lambda bills the INIT phase of on-demand ZIP functions on managed runtimes since 1 August 2025, at the same
 * GB-second price; it happens once per execution environment, on a cold start.
 */
export const LAMBDA_INIT = {
  /** Share of invocations that start an environment: AWS's analysis of production workloads found under 1%. */
  coldStartShare: 0.01,
  /** A Node.js function's INIT (runtime start and module import) as billed, about; bench -- bundles measures the import. */
  initMs: 250,
  source:
    'aws.amazon.com/blogs/compute/aws-lambda-standardizes-billing-for-init-phase ("Effective August 1, 2025 ... INIT phase duration was previously unbilled"; "INITs (cold starts) typically occur in under 1% of invocations", as quoted by InfoQ/worldofsoftware.org)',
} as const;

/**
 * A Lambda function invoked per batch of events: requests, duration (GB-s at the billed milliseconds) and the
 * ingestion of its own log lines. Used for the stream consumers here; the ingest function fits it too. A stream
 * consumer adds no DynamoDB charge: GetRecords calls made by Lambda triggers are free (DynamoDB developer guide,
 * "Evaluate your DynamoDB streams usage").
 */
export function lambdaStage(name: string, functions: readonly LambdaConsumerInput[]): StageCost {
  return stage(
    name,
    functions.flatMap((fn) => {
      if (fn.eventsPerInvocation <= 0) throw new Error(`${fn.name}: events per invocation must be positive`);
      const invocations = MILLION / fn.eventsPerInvocation;
      const gbSeconds = invocations * (fn.memoryMb / 1024) * (lambdaBilledMs(fn.durationMs) / 1000);
      const initGbSeconds =
        invocations * LAMBDA_INIT.coldStartShare * (fn.memoryMb / 1024) * (LAMBDA_INIT.initMs / 1000);
      const logBytes = invocations * fn.logBytesPerInvocation;
      return [
        {
          what: `${fn.name} requests`,
          quantity: invocations,
          unit: 'requests',
          usd: (invocations / MILLION) * PRICES.lambdaRequest.usd,
        },
        {
          what: `${fn.name} duration`,
          quantity: gbSeconds,
          unit: 'GB-s',
          usd: gbSeconds * PRICES.lambdaArmGbSecond.usd,
        },
        {
          what: `${fn.name} INIT (cold starts)`,
          quantity: initGbSeconds,
          unit: 'GB-s',
          usd: initGbSeconds * PRICES.lambdaArmGbSecond.usd,
        },
        {
          what: `${fn.name} own log lines`,
          quantity: logBytes / BYTES_PER_GB,
          unit: 'GB',
          usd: (logBytes / BYTES_PER_GB) * PRICES.logsIngestionGb.usd,
        },
      ];
    }),
  );
}

/** Firehose ingestion, from the billed (5 KB-rounded) bytes per event. */
export function firehoseStage(billedBytesPerEvent: number): StageCost {
  return stage('firehose', [
    {
      what: 'Firehose ingestion (5 KB-rounded records)',
      quantity: (billedBytesPerEvent * MILLION) / BYTES_PER_GB,
      unit: 'GB',
      usd: usdPerMillionForBytes(billedBytesPerEvent, PRICES.firehoseIngestionGb),
    },
  ]);
}

export interface S3ArchiveInput {
  /** Bytes each event takes in the archive objects (gzip NDJSON). */
  readonly storedBytesPerEvent: number;
  /** Events per S3 object (one Firehose buffer flush). */
  readonly eventsPerObject: number;
  readonly retentionMonths: number;
  /** KMS requests per object written (SSE-KMS without a bucket key asks for one data key per object). */
  readonly kmsRequestsPerObject: number;
  /**
   * Of the retention, the months spent in S3 Standard before a lifecycle rule moves the objects to Standard-IA
   * (one transition request per object); the rest is billed at the Standard-IA price.
   * @default retentionMonths (Standard throughout)
   */
  readonly standardMonths?: number;
}

/** The archive in S3 Standard: storage for the retention, one PUT (and its KMS data key) per object. */
export function s3ArchiveStage(input: S3ArchiveInput): StageCost {
  if (input.eventsPerObject <= 0) throw new Error('events per object must be positive');
  const objects = MILLION / input.eventsPerObject;
  const standardMonths = Math.min(input.standardMonths ?? input.retentionMonths, input.retentionMonths);
  const infrequentMonths = input.retentionMonths - standardMonths;
  const gb = (input.storedBytesPerEvent * MILLION) / BYTES_PER_GB;
  const gbMonths = gb * standardMonths;
  const infrequentAccess: CostLine[] =
    infrequentMonths > 0
      ? [
          {
            what: `S3 Standard-IA storage for ${infrequentMonths} months`,
            quantity: gb * infrequentMonths,
            unit: 'GB-month',
            usd: gb * infrequentMonths * PRICES.s3InfrequentAccessGbMonth.usd,
          },
          {
            what: 'S3 lifecycle transitions to Standard-IA',
            quantity: objects,
            unit: 'requests',
            usd: (objects / 1000) * PRICES.s3LifecycleTransitionRequest.usd,
          },
        ]
      : [];
  return stage('s3Archive', [
    {
      what: `S3 Standard storage for ${standardMonths} months`,
      quantity: gbMonths,
      unit: 'GB-month',
      usd: gbMonths * PRICES.s3StandardGbMonth.usd,
    },
    {
      what: 'S3 PUT (one per Firehose object)',
      quantity: objects,
      unit: 'requests',
      usd: (objects / 1000) * PRICES.s3PutRequest.usd,
    },
    {
      what: 'KMS data keys for the objects',
      quantity: objects * input.kmsRequestsPerObject,
      unit: 'requests',
      usd: ((objects * input.kmsRequestsPerObject) / 10_000) * PRICES.kmsRequest.usd,
    },
    ...infrequentAccess,
  ]);
}

export interface LogsInput {
  /** Message bytes per event (PutLogEvents' 26 bytes of per-event overhead count toward its call limit only). */
  readonly ingestedBytesPerEvent: number;
  readonly retentionMonths: number;
  /** Archived size / ingested size. */
  readonly archiveCompression: number;
}

/** The CloudWatch Logs group: ingestion, then the archive for the retention. */
export function logsStage(input: LogsInput, name = 'cloudwatchLogs'): StageCost {
  const ingestedGb = (input.ingestedBytesPerEvent * MILLION) / BYTES_PER_GB;
  const gbMonths = ingestedGb * input.archiveCompression * input.retentionMonths;
  return stage(name, [
    {
      what: 'CloudWatch Logs ingestion',
      quantity: ingestedGb,
      unit: 'GB',
      usd: ingestedGb * PRICES.logsIngestionGb.usd,
    },
    {
      what: `CloudWatch Logs archive for ${input.retentionMonths} months`,
      quantity: gbMonths,
      unit: 'GB-month',
      usd: gbMonths * PRICES.logsStorageGbMonth.usd,
    },
  ]);
}

export interface HttpApiInput {
  readonly eventsPerRequest: number;
  /** Bytes of one request as API Gateway meters it. */
  readonly requestBytes: number;
  /** Bytes of the JSON access log line the stage writes per request. */
  readonly accessLogBytesPerRequest: number;
}

/** The HTTP API: requests metered in 512 KB steps, and its access log lines ingested into CloudWatch Logs. */
export function httpApiStage(input: HttpApiInput): StageCost {
  if (input.eventsPerRequest <= 0) throw new Error('events per request must be positive');
  const requests = MILLION / input.eventsPerRequest;
  const metered = requests * Math.max(1, Math.ceil(input.requestBytes / HTTP_API_METERING_STEP_BYTES));
  const logGb = (requests * input.accessLogBytesPerRequest) / BYTES_PER_GB;
  return stage('api', [
    {
      what: `HTTP API requests (${input.eventsPerRequest} events each, 512 KB steps)`,
      quantity: metered,
      unit: 'requests',
      usd: (metered / MILLION) * PRICES.httpApiRequest.usd,
    },
    {
      what: 'API access log lines',
      quantity: logGb,
      unit: 'GB',
      usd: logGb * PRICES.logsIngestionGb.usd,
    },
  ]);
}

/** DynamoDB's table classes: Standard (the default) and Standard-IA. */
export type TableClass = 'standard' | 'standardIa';

/** The on-demand request prices of a table class. */
export function requestPrices(tableClass: TableClass): { readonly wru: Price; readonly rru: Price } {
  return tableClass === 'standard'
    ? { wru: PRICES.dynamodbWru, rru: PRICES.dynamodbRru }
    : { wru: PRICES.dynamodbIaWru, rru: PRICES.dynamodbIaRru };
}

/** DynamoDB on-demand writes: the write request units each event costs. */
export function dynamodbWriteStage(wruPerEvent: number, tableClass: TableClass = 'standard'): StageCost {
  const wru = wruPerEvent * MILLION;
  const price = requestPrices(tableClass).wru;
  return stage('dynamodbWrites', [
    { what: 'write request units', quantity: wru, unit: 'WRU', usd: (wru / MILLION) * price.usd },
  ]);
}

export interface DynamoDbStorageInput {
  /** Billed bytes of the table items one event writes, their 100 B per-item overhead included. */
  readonly tableBytesPerEvent: number;
  /** Billed bytes of its global secondary index entries, overhead included. */
  readonly indexBytesPerEvent: number;
  /** Days each event stays before TTL deletes it. */
  readonly retentionDays: number;
  readonly pointInTimeRecovery: boolean;
  /** @default 'standard' */
  readonly tableClass?: TableClass;
}

/**
 * What storing a million events for their retention costs: table and index storage, and point-in-time recovery
 * on the table's size (without its global secondary indexes). A million events a month, kept `retentionDays`,
 * occupy their bytes for retentionDays / DAYS_PER_MONTH months.
 */
export function dynamodbStorageStage(input: DynamoDbStorageInput): StageCost {
  const months = input.retentionDays / DAYS_PER_MONTH;
  const storagePrice =
    (input.tableClass ?? 'standard') === 'standard'
      ? PRICES.dynamodbStorageGbMonth
      : PRICES.dynamodbIaStorageGbMonth;
  const tableGbMonths = ((input.tableBytesPerEvent * MILLION) / BYTES_PER_GB) * months;
  const indexGbMonths = ((input.indexBytesPerEvent * MILLION) / BYTES_PER_GB) * months;
  const pitr: CostLine[] = input.pointInTimeRecovery
    ? [
        {
          what: 'point-in-time recovery (table size, no GSIs)',
          quantity: tableGbMonths,
          unit: 'GB-month',
          usd: tableGbMonths * PRICES.dynamodbPitrGbMonth.usd,
        },
      ]
    : [];
  return stage('dynamodbStorage', [
    {
      what: `table items for ${input.retentionDays} days`,
      quantity: tableGbMonths,
      unit: 'GB-month',
      usd: tableGbMonths * storagePrice.usd,
    },
    {
      what: `index entries for ${input.retentionDays} days`,
      quantity: indexGbMonths,
      unit: 'GB-month',
      usd: indexGbMonths * storagePrice.usd,
    },
    ...pitr,
  ]);
}

/**
 * How many Insights analyses a million events cost with both Insights types enabled: a write management event is
 * analysed twice (call rate and error rate), a read-only one once (error rate only).
 */
export function insightsAnalysesPerEvent(readOnlyShare: number): number {
  if (!(readOnlyShare >= 0 && readOnlyShare <= 1))
    throw new Error(`a share is within 0..1, not ${readOnlyShare}`);
  return 2 * (1 - readOnlyShare) + readOnlyShare;
}

/**
 * CloudTrail's prices for a million events of `recordBytesPerEvent`: a trail's paid copy of management events,
 * data events, CloudTrail Lake ingestion (custom events and CloudTrail events on the one-year option, any source on
 * the seven-year option) and Insights on both types for traffic with `readOnlyShare` read-only events.
 */
export function cloudTrailStages(recordBytesPerEvent: number, readOnlyShare: number): StageCost[] {
  const per100k = MILLION / 100_000;
  const lakeGb = (recordBytesPerEvent * MILLION) / BYTES_PER_GB;
  const analyses = insightsAnalysesPerEvent(readOnlyShare);
  const lake = (name: string, what: string, price: Price) =>
    stage(name, [{ what, quantity: lakeGb, unit: 'GB', usd: lakeGb * price.usd }]);
  return [
    stage('trailManagementEvents', [
      {
        what: 'management events, paid trail copy',
        quantity: MILLION,
        unit: 'events',
        usd: per100k * PRICES.cloudTrailManagementEventCopy.usd,
      },
    ]),
    stage('trailDataEvents', [
      {
        what: 'data events',
        quantity: MILLION,
        unit: 'events',
        usd: per100k * PRICES.cloudTrailDataEvent.usd,
      },
    ]),
    lake(
      'lakeIngestion',
      'Lake ingestion, custom (non-AWS) events, 366 days of storage included',
      PRICES.cloudTrailLakeIngestionGb,
    ),
    lake(
      'lakeCloudTrailEvents',
      'Lake ingestion, CloudTrail events, 366 days of storage included',
      PRICES.cloudTrailLakeCloudTrailEventsGb,
    ),
    lake('lakeSevenYear', 'Lake ingestion, seven-year retention option', PRICES.cloudTrailLakeSevenYearGb),
    stage('insights', [
      {
        what: `Insights, both types (${analyses} analyses per event)`,
        quantity: MILLION * analyses,
        unit: 'events analysed',
        usd: per100k * analyses * PRICES.cloudTrailInsightsEvent.usd,
      },
    ]),
  ];
}

/** Dollars per million events by stage, and their sum. */
export interface CostSummary {
  readonly byStage: Readonly<Record<string, number>>;
  readonly total: number;
}

export function summarize(stages: readonly StageCost[]): CostSummary {
  const byStage: Record<string, number> = {};
  for (const { stage: name, usdPerMillionEvents } of stages) {
    if (name in byStage) throw new Error(`stage ${name} counted twice`);
    byStage[name] = usdPerMillionEvents;
  }
  return { byStage, total: stages.reduce((sum, cost) => sum + cost.usdPerMillionEvents, 0) };
}

/** The stage that costs most, and its share of the total. */
export function dominantStage(stages: readonly StageCost[]): { stage: string; share: number } | undefined {
  const total = stages.reduce((sum, cost) => sum + cost.usdPerMillionEvents, 0);
  const top = [...stages].sort((a, b) => b.usdPerMillionEvents - a.usdPerMillionEvents)[0];
  return top && total > 0 ? { stage: top.stage, share: top.usdPerMillionEvents / total } : undefined;
}
