import type { AttributeKey } from './query.js';

/**
 * The parts of a trail record (lambda/core/event-model.ts, trailRecordSchema) the console reads. Kept loose on
 * purpose: the console shows whatever the API returns, and a field it does not know is still in the JSON view.
 */
export interface ConsoleRecord {
  readonly eventID: string;
  readonly eventTime: string;
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly eventCategory?: string;
  readonly readOnly?: boolean;
  readonly errorCode?: string;
  readonly sourceIPAddress?: string;
  readonly clientType?: string;
  readonly sharedEventID?: string;
  readonly userIdentity?: {
    readonly userName?: string;
    readonly principalId?: string;
    readonly accessKeyId?: string;
    readonly arn?: string;
  };
  readonly resources?: ReadonlyArray<{ readonly ARN?: string; readonly type?: string }>;
  readonly ingestion?: {
    readonly receivedAt?: string;
    readonly producerArn?: string;
    readonly channelArn?: string;
    readonly redactedFields?: readonly string[];
  };
  readonly insightDetails?: InsightDetails;
}

export interface InsightDetails {
  readonly state?: string;
  readonly eventSource?: string;
  readonly eventName?: string;
  readonly insightType?: string;
  readonly errorCode?: string;
  readonly insightContext?: {
    readonly statistics?: {
      readonly baseline?: { readonly average?: number };
      readonly insight?: { readonly average?: number };
      readonly insightDuration?: number;
      readonly baselineDuration?: number;
    };
  };
}

export interface Column {
  readonly id: string;
  readonly label: string;
  /** Shown when the chooser was never used: CloudTrail's Event history defaults. */
  readonly byDefault: boolean;
  /** The values of a cell; several for the resources of one event. */
  readonly values: (record: ConsoleRecord) => readonly string[];
  /** The lookup attribute a value of this column filters on, when there is one. */
  readonly filter?: AttributeKey;
}

const one = (value: string | boolean | undefined): readonly string[] =>
  value === undefined || value === '' ? [] : [String(value)];

/** User name as the Username lookup matches it (lambda/core/identity.ts): userName, else the principal id. */
export const userNameOf = (record: ConsoleRecord): string =>
  record.userIdentity?.userName ?? record.userIdentity?.principalId ?? '';

export const COLUMNS: readonly Column[] = [
  { id: 'eventTime', label: 'Event time', byDefault: true, values: (record) => one(record.eventTime) },
  {
    id: 'userName',
    label: 'User name',
    byDefault: true,
    values: (record) => one(userNameOf(record)),
    filter: 'Username',
  },
  {
    id: 'eventName',
    label: 'Event name',
    byDefault: true,
    values: (record) => one(record.eventName),
    filter: 'EventName',
  },
  {
    id: 'resourceType',
    label: 'Resource type',
    byDefault: true,
    values: (record) => [...new Set((record.resources ?? []).flatMap((resource) => one(resource.type)))],
    filter: 'ResourceType',
  },
  {
    id: 'resourceName',
    label: 'Resource name',
    byDefault: true,
    values: (record) => (record.resources ?? []).flatMap((resource) => one(resource.ARN)),
    filter: 'ResourceName',
  },
  {
    id: 'eventSource',
    label: 'Event source',
    byDefault: false,
    values: (record) => one(record.eventSource),
    filter: 'EventSource',
  },
  { id: 'clientType', label: 'Client type', byDefault: false, values: (record) => one(record.clientType) },
  {
    id: 'readOnly',
    label: 'Read only',
    byDefault: false,
    values: (record) => one(record.readOnly),
    filter: 'ReadOnly',
  },
  { id: 'errorCode', label: 'Error code', byDefault: false, values: (record) => one(record.errorCode) },
  {
    id: 'sourceIPAddress',
    label: 'Source IP address',
    byDefault: false,
    values: (record) => one(record.sourceIPAddress),
  },
  {
    id: 'accessKeyId',
    label: 'Access key',
    byDefault: false,
    values: (record) => one(record.userIdentity?.accessKeyId),
    filter: 'AccessKeyId',
  },
  {
    id: 'eventID',
    label: 'Event ID',
    byDefault: false,
    values: (record) => one(record.eventID),
    filter: 'EventId',
  },
];

export const DEFAULT_COLUMN_IDS: readonly string[] = COLUMNS.filter((column) => column.byDefault).map(
  (column) => column.id,
);

/** The chosen column ids as stored, keeping only known ones, in COLUMNS order; the defaults when unreadable. */
export function readColumnChoice(stored: string | null): readonly string[] {
  if (stored === null) return DEFAULT_COLUMN_IDS;
  try {
    const parsed: unknown = JSON.parse(stored);
    if (!Array.isArray(parsed)) return DEFAULT_COLUMN_IDS;
    return COLUMNS.map((column) => column.id).filter((id) => parsed.includes(id));
  } catch {
    return DEFAULT_COLUMN_IDS;
  }
}
