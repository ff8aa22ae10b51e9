import { type ConsoleQuery, LOOKUP_ATTRIBUTES, lookupParameters } from './query.js';
import type { Bounds } from './time.js';
import { formatInstant } from './time.js';

/**
 * "Copy as": the same lookup from a shell, the AWS CLI, the TypeScript client and Athena. The credentials stay
 * out of every snippet: they name the standard AWS_* variables.
 */

export interface SnippetContext {
  /** The API's base URL, e.g. http://127.0.0.1:3000 */
  readonly apiUrl: string;
  readonly region: string;
}

export type SnippetTarget =
  /** receivedAt: when the trail received it (ingestion.receivedAt), which names its archive partition. */
  | { readonly kind: 'event'; readonly eventId: string; readonly receivedAt: string }
  | { readonly kind: 'query'; readonly query: ConsoleQuery; readonly bounds: Bounds };

export interface Snippet {
  readonly id: 'curl' | 'cli' | 'sdk' | 'athena';
  readonly label: string;
  readonly text: string;
  readonly note?: string;
}

/** POSIX shell single quotes: nothing inside is expanded. */
export const shellQuote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;

const sqlString = (text: string): string => `'${text.replaceAll("'", "''")}'`;

const targetAttributes = (target: SnippetTarget): ReadonlyArray<readonly [string, string]> =>
  target.kind === 'event'
    ? [['EventId', target.eventId]]
    : LOOKUP_ATTRIBUTES.flatMap(({ key }) => {
        const value = target.query.attributes[key];
        return value === undefined ? [] : [[key, value] as const];
      });

function curlSnippet(target: SnippetTarget, context: SnippetContext): string {
  const url =
    target.kind === 'event'
      ? `${context.apiUrl}/events/${encodeURIComponent(target.eventId)}`
      : `${context.apiUrl}/events?${lookupParameters(target.query, target.bounds, 1000).toString()}`;
  return [
    `curl --aws-sigv4 ${shellQuote(`aws:amz:${context.region}:execute-api`)}`,
    '  --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"',
    `  ${shellQuote(url)}`,
  ].join(' \\\n');
}

function cliSnippet(target: SnippetTarget, context: SnippetContext): string {
  const lines = [
    'aws cloudtrail lookup-events',
    `  --endpoint-url ${shellQuote(context.apiUrl)} --region ${shellQuote(context.region)}`,
  ];
  const attributes = targetAttributes(target);
  if (attributes.length > 0) {
    const list = attributes.map(([key, value]) => `AttributeKey=${key},AttributeValue=${value}`);
    lines.push(`  --lookup-attributes ${list.map(shellQuote).join(' ')}`);
  }
  if (target.kind === 'query') {
    if (target.query.insight) lines.push('  --event-category insight');
    lines.push(
      `  --start-time ${formatInstant(target.bounds.startMs)} --end-time ${formatInstant(target.bounds.endMs)}`,
    );
  }
  return lines.join(' \\\n');
}

function sdkSnippet(target: SnippetTarget, context: SnippetContext): string {
  const filters =
    target.kind === 'event'
      ? { EventId: target.eventId }
      : {
          ...Object.fromEntries(targetAttributes(target)),
          ...(target.query.insight ? { EventCategory: 'insight' } : {}),
          startTime: new Date(target.bounds.startMs).toISOString(),
          endTime: new Date(target.bounds.endMs).toISOString(),
        };
  return [
    "import { OpenTrailClient } from '@opentrail/client';",
    '',
    "// Credentials from the AWS chain (AWS_ACCESS_KEY_ID...); OpenTrailClient.fromLocal() reads local mode's.",
    `const client = new OpenTrailClient({ endpoint: ${JSON.stringify(context.apiUrl)}, region: ${JSON.stringify(context.region)} });`,
    `for await (const event of client.lookup(${JSON.stringify(filters, null, 2)})) {`,
    '  console.log(event.eventTime, event.eventName, event.eventID);',
    '}',
  ].join('\n');
}

/** Conditions on the archive's columns (lib/archive-table.ts) for each lookup attribute. */
const ATHENA_CONDITIONS: Record<string, (value: string) => string> = {
  EventId: (value) => `eventid = ${sqlString(value)}`,
  EventName: (value) => `eventname = ${sqlString(value)}`,
  ReadOnly: (value) => `readonly = ${value === 'true' ? 'true' : 'false'}`,
  Username: (value) => `coalesce(useridentity.username, useridentity.principalid) = ${sqlString(value)}`,
  ResourceType: (value) => `any_match(resources, r -> r.type = ${sqlString(value)})`,
  ResourceName: (value) => `any_match(resources, r -> r.arn = ${sqlString(value)})`,
  EventSource: (value) => `eventsource = ${sqlString(value)}`,
  AccessKeyId: (value) => `useridentity.accesskeyid = ${sqlString(value)}`,
};

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function athenaSnippet(target: SnippetTarget): string {
  const conditions = targetAttributes(target).map(
    ([key, value]) => ATHENA_CONDITIONS[key]?.(value) ?? 'true',
  );
  // The partitions are arrival days (docs/pipeline.md): an event's own day for one event, the range's for a query.
  const days =
    target.kind === 'event'
      ? [dayOf(Date.parse(target.receivedAt))]
      : [dayOf(target.bounds.startMs), dayOf(target.bounds.endMs)];
  const partition =
    days[0] === days[days.length - 1]
      ? `concat(year, '-', month, '-', day) = ${sqlString(days[0] ?? '')}`
      : `concat(year, '-', month, '-', day) BETWEEN ${sqlString(days[0] ?? '')} AND ${sqlString(days[1] ?? '')}`;
  if (target.kind === 'query') {
    if (target.query.insight) conditions.push(`eventcategory = 'Insight'`);
    conditions.push(
      `eventtime BETWEEN ${sqlString(formatInstant(target.bounds.startMs))} AND ${sqlString(formatInstant(target.bounds.endMs))}`,
    );
  }
  return [
    "-- In the stack's AthenaDatabase; back-dated events arrive (and are partitioned) later than their eventtime.",
    'SELECT *',
    'FROM events',
    `WHERE ${[partition, ...conditions].join('\n  AND ')}`,
    'ORDER BY eventtime DESC',
    `LIMIT ${target.kind === 'event' ? 1 : 1000}`,
  ].join('\n');
}

export function snippets(target: SnippetTarget, context: SnippetContext): readonly Snippet[] {
  return [
    { id: 'curl', label: 'curl', text: curlSnippet(target, context) },
    {
      id: 'cli',
      label: 'AWS CLI',
      text: cliSnippet(target, context),
      note:
        'Local mode accepts the CLI as it is. Against a deployed trail, load the plugin in ' +
        'clients/python/opentrail_signing.py so the CLI signs as execute-api (docs/cloudtrail-compat.md).',
    },
    { id: 'sdk', label: 'SDK (TypeScript)', text: sdkSnippet(target, context) },
    { id: 'athena', label: 'Athena SQL', text: athenaSnippet(target) },
  ];
}
