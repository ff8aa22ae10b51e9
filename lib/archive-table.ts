/**
 * The archive's Athena schema, in one place: the Glue table the stack creates over `events/` and the names the
 * saved queries use (lib/athena-queries.ts). Column names are the record's field names in lower case: the OpenX
 * JSON SerDe matches JSON keys case-insensitively, so `eventID` fills `eventid`.
 */

/** The Glue table over the raw archive (duplicates included; docs/pipeline.md, "Duplicates"). */
export const RAW_TABLE_NAME = 'events_raw';

/** The Athena view keeping one row per eventID; created by a saved query. */
export const DEDUPED_VIEW_NAME = 'events';

export interface ArchiveColumn {
  readonly name: string;
  /** Hive type, as Glue and Athena spell it. */
  readonly type: string;
}

/** The CloudTrail-shaped record (docs/pipeline.md: each line is the stored `record`). */
export const ARCHIVE_COLUMNS: readonly ArchiveColumn[] = [
  { name: 'eventversion', type: 'string' },
  { name: 'eventtime', type: 'string' },
  { name: 'eventsource', type: 'string' },
  { name: 'eventname', type: 'string' },
  { name: 'awsregion', type: 'string' },
  { name: 'sourceipaddress', type: 'string' },
  { name: 'useragent', type: 'string' },
  {
    name: 'useridentity',
    type: 'struct<type:string,principalid:string,arn:string,accountid:string,accesskeyid:string,username:string,invokedby:string>',
  },
  // Free-form JSON objects: the SerDe hands them over as JSON text (query with json_extract).
  { name: 'requestparameters', type: 'string' },
  { name: 'responseelements', type: 'string' },
  { name: 'additionaleventdata', type: 'string' },
  { name: 'errorcode', type: 'string' },
  { name: 'errormessage', type: 'string' },
  { name: 'requestid', type: 'string' },
  { name: 'eventid', type: 'string' },
  { name: 'eventtype', type: 'string' },
  { name: 'readonly', type: 'boolean' },
  { name: 'managementevent', type: 'boolean' },
  { name: 'resources', type: 'array<struct<arn:string,accountid:string,type:string>>' },
  { name: 'recipientaccountid', type: 'string' },
  { name: 'sharedeventid', type: 'string' },
  { name: 'eventcategory', type: 'string' },
  { name: 'clienttype', type: 'string' },
  { name: 'ingestion', type: 'struct<receivedat:string,id:string,producerarn:string>' },
];

/** Partition keys, in the order of the Firehose prefix `events/YYYY/MM/DD/HH/` (arrival time, UTC). */
export const ARCHIVE_PARTITION_KEYS: readonly ArchiveColumn[] = [
  { name: 'year', type: 'string' },
  { name: 'month', type: 'string' },
  { name: 'day', type: 'string' },
  { name: 'hour', type: 'string' },
];

/** The OpenX JSON SerDe, failing on a malformed line rather than reading it as nulls. */
export const ARCHIVE_SERDE = {
  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
  parameters: { 'ignore.malformed.json': 'false' },
} as const;

/** Plain text files (gzip is recognised by extension), as Hive reads JSON lines. */
export const ARCHIVE_STORAGE_FORMAT = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
} as const;

/**
 * Partition projection parameters: Athena computes the partitions from these instead of asking Glue, so new hours
 * are queryable the moment Firehose writes them. `locationPrefix` is `s3://<bucket>/events/`.
 */
export function partitionProjectionParameters(
  locationPrefix: string,
  years: { readonly first: number; readonly last: number },
): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.year.type': 'integer',
    'projection.year.range': `${years.first},${years.last}`,
    'projection.month.type': 'integer',
    'projection.month.range': '1,12',
    'projection.month.digits': '2',
    'projection.day.type': 'integer',
    'projection.day.range': '1,31',
    'projection.day.digits': '2',
    'projection.hour.type': 'integer',
    'projection.hour.range': '0,23',
    'projection.hour.digits': '2',
    // Athena's own placeholders, not template literals: `${year}` stays in the string.
    'storage.location.template': `${locationPrefix}\${year}/\${month}/\${day}/\${hour}/`,
  };
}
