import type { Channel } from '../core/cloudtrail/channels.js';
import { parseChannels } from '../core/cloudtrail/channels.js';
import { LIMITS } from '../core/limits.js';
import { LOG_LINE_FORMATS } from '../core/pipeline.js';
import { PROVENANCE_MODES } from '../core/provenance.js';

/**
 * Every setting an OpenTrail function reads, once: its environment variable, its type, its default and the
 * message a bad value gets. The CDK constructs write variables from it (settingsEnvironment), the Lambda entry
 * points read them (readSettings), and local mode passes the typed values straight to the functions.
 */

interface SettingBase {
  /** The environment variable. */
  readonly variable: string;
  readonly description: string;
}
export interface TextSetting extends SettingBase {
  readonly kind: 'text';
  readonly required?: true;
  readonly default?: string;
  /** Set by the Lambda runtime itself: a construct never writes it. */
  readonly fromRuntime?: true;
}
export interface IntegerSetting extends SettingBase {
  readonly kind: 'integer';
  readonly min: number;
  readonly max: number;
  readonly default?: number;
}
export interface PositiveNumberSetting extends SettingBase {
  readonly kind: 'positiveNumber';
  readonly default?: number;
}
export interface ChoiceSetting<T extends string = string> extends SettingBase {
  readonly kind: 'choice';
  readonly values: readonly T[];
  readonly default: T;
}
export interface JsonSetting extends SettingBase {
  readonly kind: 'json';
}
export interface ChannelsSetting extends SettingBase {
  readonly kind: 'channels';
}
export type SettingSpec =
  | TextSetting
  | IntegerSetting
  | PositiveNumberSetting
  | ChoiceSetting
  | JsonSetting
  | ChannelsSetting;

export const SETTINGS = {
  region: {
    kind: 'text',
    variable: 'AWS_REGION',
    default: 'us-east-1',
    fromRuntime: true,
    description: 'The region the function runs in; Lambda sets it.',
  },
  tableName: {
    kind: 'text',
    variable: 'OPENTRAIL_TABLE_NAME',
    required: true,
    description: 'The events table.',
  },
  retentionDays: {
    kind: 'integer',
    variable: 'OPENTRAIL_RETENTION_DAYS',
    ...LIMITS.retentionDays,
    description: 'Days an event stays searchable (the TTL).',
  },
  writeShards: {
    kind: 'integer',
    variable: 'OPENTRAIL_WRITE_SHARDS',
    ...LIMITS.writeShards,
    description: 'Write shards per hot key (docs/storage.md).',
  },
  accountId: {
    kind: 'text',
    variable: 'OPENTRAIL_ACCOUNT_ID',
    description: "recipientAccountId for events that name none; unset: the API's own account.",
  },
  tokenSecret: {
    kind: 'text',
    variable: 'OPENTRAIL_TOKEN_SECRET',
    description: 'The pagination-token signing secret itself (local mode, tests)...',
  },
  tokenSecretArn: {
    kind: 'text',
    variable: 'OPENTRAIL_TOKEN_SECRET_ARN',
    description: '...or the ARN of the Secrets Manager secret holding it (AWS).',
  },
  deliveryStreamName: {
    kind: 'text',
    variable: 'OPENTRAIL_DELIVERY_STREAM_NAME',
    required: true,
    description: 'The Firehose delivery stream the archive function puts to (docs/pipeline.md).',
  },
  logGroupName: {
    kind: 'text',
    variable: 'OPENTRAIL_LOG_GROUP_NAME',
    required: true,
    description: 'The CloudWatch Logs group the log-forward function writes one line per event to.',
  },
  logLine: {
    kind: 'choice',
    variable: 'OPENTRAIL_LOG_LINE',
    values: LOG_LINE_FORMATS,
    default: 'full',
    description: 'What each forwarded log line holds (LogLineFormat in lambda/core/pipeline.ts).',
  },
  eventBusName: {
    kind: 'text',
    variable: 'OPENTRAIL_EVENT_BUS_NAME',
    required: true,
    description: 'The EventBridge bus insight events are put on (docs/insights.md).',
  },
  insightsBaselineMinutes: {
    kind: 'integer',
    variable: 'OPENTRAIL_INSIGHTS_BASELINE_MINUTES',
    min: 1,
    max: 90 * 1440,
    default: 7 * 1440,
    description: 'Minutes of history the insights baseline uses (CloudTrail Insights: 7 days).',
  },
  insightsSensitivity: {
    kind: 'positiveNumber',
    variable: 'OPENTRAIL_INSIGHTS_SENSITIVITY',
    description:
      "Detector sensitivity: higher means fewer, stronger insights; unset: the detector's default.",
  },
  insightsMinVolume: {
    kind: 'positiveNumber',
    variable: 'OPENTRAIL_INSIGHTS_MIN_VOLUME',
    description: "Fewest calls per minute an anomaly must reach; unset: the detector's default.",
  },
  channels: {
    kind: 'channels',
    variable: 'OPENTRAIL_CHANNELS',
    description:
      'The channels PutAuditEvents accepts, a JSON list of { arn, principals? }; unset: any well-formed channel ARN.',
  },
  selectors: {
    kind: 'json',
    variable: 'OPENTRAIL_SELECTORS',
    description: "The trail selectors as JSON (docs/selectors.md); unset: CloudTrail's default trail.",
  },
  insights: {
    kind: 'choice',
    variable: 'OPENTRAIL_INSIGHTS',
    values: ['on', 'off'],
    default: 'on',
    description:
      "Whether the trail's insights run (off: the Trail's insights: false); GetInsightSelectors and HasInsightSelectors answer from it.",
  },
  redaction: {
    kind: 'json',
    variable: 'OPENTRAIL_REDACTION',
    description: 'The redaction rules as JSON (docs/selectors.md); unset: the default rules.',
  },
  trailName: {
    kind: 'text',
    variable: 'OPENTRAIL_TRAIL_NAME',
    description:
      "The trail's name, as CloudTrail's DescribeTrails gives it and as digest keys spell it (docs/integrity.md).",
  },
  trailArn: {
    kind: 'text',
    variable: 'OPENTRAIL_TRAIL_ARN',
    description:
      "The trail's CloudTrail-style ARN, arn:<partition>:cloudtrail:<region>:<account>:trail/<name>.",
  },
  archiveBucketName: {
    kind: 'text',
    variable: 'OPENTRAIL_ARCHIVE_BUCKET',
    required: true,
    description: 'The archive bucket whose objects the digester hashes (docs/integrity.md).',
  },
  digestBucketName: {
    kind: 'text',
    variable: 'OPENTRAIL_DIGEST_BUCKET',
    description: 'The bucket the digester writes signed digests to (docs/integrity.md).',
  },
  digestKeyPrefix: {
    kind: 'text',
    variable: 'OPENTRAIL_DIGEST_KEY_PREFIX',
    default: '',
    description: "The digests' key prefix, CloudTrail's S3KeyPrefix; empty: none.",
  },
  ledgerTableName: {
    kind: 'text',
    variable: 'OPENTRAIL_LEDGER_TABLE',
    description:
      'The integrity ledger: deliveries, the chain head, digests and signing keys (lambda/core/integrity/ledger-layout.ts).',
  },
  deliveryQueueUrl: {
    kind: 'text',
    variable: 'OPENTRAIL_DELIVERY_QUEUE_URL',
    required: true,
    description: "The queue of the archive bucket's ObjectCreated notifications the digester drains.",
  },
  signingKeyId: {
    kind: 'text',
    variable: 'OPENTRAIL_SIGNING_KEY_ID',
    required: true,
    description: 'The KMS key (ARN, id or alias) that signs digests: RSA_2048, SIGN_VERIFY.',
  },
  archiveWriterPrincipal: {
    kind: 'text',
    variable: 'OPENTRAIL_ARCHIVE_WRITER_PRINCIPAL',
    required: true,
    description:
      "The S3 notifications' userIdentity.principalId prefix of the archive's only writer, the Firehose delivery role (AWS:<roleId>:).",
  },
  digestIntervalSeconds: {
    kind: 'integer',
    variable: 'OPENTRAIL_DIGEST_INTERVAL_SECONDS',
    min: 60,
    max: 86_400,
    default: 3600,
    description: 'Seconds between digests (CloudTrail: one hour).',
  },
  provenance: {
    kind: 'choice',
    variable: 'OPENTRAIL_PROVENANCE',
    values: PROVENANCE_MODES,
    default: 'strict',
    description:
      "strict: both put routes refuse a foreign recipientAccountId and AWS event sources; relaxed: accept them as sent (lambda/core/provenance.ts). OpenTrail's own identities are refused either way.",
  },
} as const satisfies Record<string, SettingSpec>;

export type SettingKey = keyof typeof SETTINGS;

type ValueOf<S> = S extends { kind: 'integer' | 'positiveNumber' }
  ? number
  : S extends { kind: 'choice'; values: readonly (infer T)[] }
    ? T
    : S extends { kind: 'json' }
      ? unknown
      : S extends { kind: 'channels' }
        ? readonly Channel[]
        : string;

/** A setting is always there when it is required or has a default; otherwise it may be left out. */
type Present<S> = S extends { required: true } | { default: unknown } ? true : false;

/** The typed values of a set of settings, as a function receives them. */
export type Settings<K extends SettingKey> = {
  readonly [P in K as Present<(typeof SETTINGS)[P]> extends true ? P : never]: ValueOf<(typeof SETTINGS)[P]>;
} & {
  readonly [P in K as Present<(typeof SETTINGS)[P]> extends true ? never : P]?: ValueOf<(typeof SETTINGS)[P]>;
};

/** What a caller may give: every setting optional; defaults fill in the rest. */
export type SettingsInput<K extends SettingKey> = { readonly [P in K]?: ValueOf<(typeof SETTINGS)[P]> };

export type Environment = Readonly<Record<string, string | undefined>>;

function parseSetting(spec: SettingSpec, text: string): { value?: unknown; problem?: string } {
  const { variable } = spec;
  switch (spec.kind) {
    case 'text':
      return { value: text };
    case 'integer': {
      const value = Number(text);
      return Number.isInteger(value) && value >= spec.min && value <= spec.max
        ? { value }
        : { problem: `${variable} must be a whole number from ${spec.min} to ${spec.max} (got "${text}")` };
    }
    case 'positiveNumber': {
      const value = Number(text);
      return Number.isFinite(value) && value > 0
        ? { value }
        : { problem: `${variable} must be a positive number (got "${text}")` };
    }
    case 'choice':
      return spec.values.includes(text)
        ? { value: text }
        : { problem: `${variable} must be one of ${spec.values.join(', ')} (got "${text}")` };
    case 'json':
      try {
        return { value: JSON.parse(text) };
      } catch (error) {
        return { problem: `${variable} is not valid JSON: ${(error as Error).message}` };
      }
    case 'channels': {
      const parsed = parseChannels(text);
      return parsed.problems.length > 0
        ? { problem: parsed.problems.map((problem) => `${variable} ${problem}`).join('; ') }
        : { value: parsed.channels };
    }
  }
}

/** The error that stops a function's start, naming every configuration problem at once. */
export function configurationError(problems: readonly string[]): Error {
  return new Error(`OpenTrail configuration is invalid: ${problems.join('; ')}`);
}

/** A setting's problems, each prefixed with its variable so a deployment sees what to fix. */
export function settingProblems(key: SettingKey, problems: readonly string[]): string[] {
  return problems.map((problem) => `${SETTINGS[key].variable}: ${problem}`);
}

/**
 * The settings `keys` from an environment, typed; unset or empty variables take their defaults. Every bad value
 * is named in one error, so a bad deployment stops at its cold start.
 */
export function readSettings<K extends SettingKey>(keys: readonly K[], env: Environment): Settings<K> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const key of keys) {
    const spec: SettingSpec = SETTINGS[key];
    const text = env[spec.variable];
    if (text === undefined || text === '') {
      if ('default' in spec && spec.default !== undefined) values[key] = spec.default;
      else if ('required' in spec && spec.required) problems.push(`${spec.variable} is not set`);
      continue;
    }
    const { value, problem } = parseSetting(spec, text);
    if (problem !== undefined) problems.push(problem);
    else values[key] = value;
  }
  if (problems.length > 0) throw configurationError(problems);
  return values as Settings<K>;
}

/** Typed values with the defaults filled in, checked as readSettings checks variables (local mode, tests). */
export function withDefaults<K extends SettingKey>(keys: readonly K[], input: SettingsInput<K>): Settings<K> {
  return readSettings(keys, settingsEnvironment(input));
}

/** The environment variables for typed values; values left out stay unset so the function applies its defaults. */
export function settingsEnvironment(values: Readonly<Record<string, unknown>>): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || !(key in SETTINGS)) continue;
    const spec: SettingSpec = SETTINGS[key as SettingKey];
    variables[spec.variable] =
      typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value);
  }
  return variables;
}

/** Each setting's environment variable, by setting name. */
export const TRAIL_ENV = Object.fromEntries(
  Object.entries(SETTINGS).map(([key, spec]) => [key, spec.variable]),
) as { readonly [K in SettingKey]: (typeof SETTINGS)[K]['variable'] };
