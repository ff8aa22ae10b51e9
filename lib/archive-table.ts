/**
 * The archive's Athena schema, in one place: the Glue table the stack creates over `events/` and the names the
 * saved queries use (lib/athena-queries.ts). Column names are the record's field names in lower case: the OpenX
 * JSON SerDe matches JSON keys case-insensitively, so `eventID` fills `eventid`.
 */

import { trailRecordSchema } from '../lambda/core/event-model.js';

/** The Glue table over the raw archive (duplicates included; docs/pipeline.md, "Duplicates"). */
export const RAW_TABLE_NAME = 'events_raw';

/** The Athena view keeping one row per eventID; created by a saved query. */
export const DEDUPED_VIEW_NAME = 'events';

export interface ArchiveColumn {
  readonly name: string;
  /** Hive type, as Glue and Athena spell it. */
  readonly type: string;
}

/** The JSON Schema keywords TypeBox writes that decide a Hive type. */
interface JsonSchemaNode {
  readonly type?: string;
  readonly enum?: readonly unknown[];
  readonly anyOf?: readonly JsonSchemaNode[];
  readonly properties?: Readonly<Record<string, JsonSchemaNode>>;
  readonly items?: JsonSchemaNode;
}

/**
 * The Hive type of a record field, from its JSON Schema: strings and string enums are `string`, booleans
 * `boolean`, objects with declared properties `struct<...>` (names in lower case), arrays `array<...>`. Free-form
 * objects (requestParameters, sessionContext, insightDetails ...) are `string`: the SerDe hands them over as JSON
 * text, queried with json_extract. A nullable field takes its non-null type. Any other schema stops synthesis, so a
 * new kind of field gets a deliberate column type instead of silently missing from Athena.
 */
export function hiveType(schema: JsonSchemaNode, path: string): string {
  if (schema.enum?.every((value) => typeof value === 'string')) return 'string';
  const nonNull = schema.anyOf?.filter((option) => option.type !== 'null');
  if (nonNull?.length === 1 && nonNull[0]) return hiveType(nonNull[0], path);
  if (schema.type === 'string' || schema.type === 'boolean') return schema.type;
  if (schema.type === 'object' && schema.properties === undefined) return 'string';
  if (schema.type === 'object' && schema.properties !== undefined) {
    const fields = Object.entries(schema.properties).map(
      ([name, field]) => `${name.toLowerCase()}:${hiveType(field, `${path}.${name}`)}`,
    );
    return `struct<${fields.join(',')}>`;
  }
  if (schema.type === 'array' && schema.items) return `array<${hiveType(schema.items, `${path}[]`)}>`;
  throw new Error(
    `${path}: no Hive type for the schema ${JSON.stringify(schema)} (lib/archive-table.ts hiveType)`,
  );
}

/**
 * The CloudTrail-shaped record (docs/pipeline.md: each line is the stored `record`): one column per field of
 * trailRecordSchema, in its order, so the table cannot drift from the record.
 */
export const ARCHIVE_COLUMNS: readonly ArchiveColumn[] = Object.entries(
  trailRecordSchema.properties as Readonly<Record<string, JsonSchemaNode>>,
).map(([name, schema]) => ({ name: name.toLowerCase(), type: hiveType(schema, name) }));

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
