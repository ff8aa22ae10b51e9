#!/usr/bin/env node
import { readFile } from 'node:fs/promises';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Presets, SingleBar } from 'cli-progress';
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type LookupFilters, OpenTrailClient } from '../client.js';
import { OpenTrailError } from '../errors.js';
import type { ProducerEvent, TrailRecord } from '../generated/schema-types.js';
import { findLocalFile } from '../local-config.js';
import { sleep } from '../retry.js';
import { positiveInteger, time } from './arguments.js';
import { parseEvents } from './input.js';
import { table } from './output.js';
import { registerValidate } from './validate.js';

/** Exit codes: 0 done, 1 something failed (an event refused, a request failed, no such event), 2 bad usage or input. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** Input this long gets a progress bar (on a terminal). */
const PROGRESS_FROM = 1000;
/** Puts in flight at once, well under the client's queue cap, so any input size fits in bounded memory. */
const PUT_CHUNK = 5000;

class UsageError extends Error {}

interface GlobalFlags {
  readonly endpoint?: string;
  readonly region?: string;
  readonly profile?: string;
  readonly local?: string;
}

/** Flags, then the environment (OPENTRAIL_ENDPOINT, AWS_REGION, AWS_PROFILE), then the local mode file. */
async function clientFor(flags: GlobalFlags): Promise<OpenTrailClient> {
  const endpoint = flags.endpoint ?? process.env.OPENTRAIL_ENDPOINT;
  if (endpoint !== undefined && flags.local === undefined) {
    return new OpenTrailClient({
      endpoint,
      region: flags.region,
      credentials:
        flags.profile === undefined ? undefined : fromNodeProviderChain({ profile: flags.profile }),
    });
  }
  const file = flags.local ?? (await findLocalFile());
  if (file === undefined) {
    throw new UsageError(
      'no endpoint: pass --endpoint, set OPENTRAIL_ENDPOINT, or run inside a project whose local mode is running (.opentrail/local.json)',
    );
  }
  return OpenTrailClient.fromLocal(file);
}

const trueOrFalse = (text: string): boolean => {
  if (text !== 'true' && text !== 'false') throw new InvalidArgumentError("expected 'true' or 'false'");
  return text === 'true';
};

interface LookupFlags {
  readonly username?: string;
  readonly eventName?: string;
  readonly eventSource?: string;
  readonly resourceName?: string;
  readonly resourceType?: string;
  readonly accessKeyId?: string;
  readonly eventId?: string;
  readonly readOnly?: boolean;
  readonly insights?: boolean;
  readonly start?: Date;
  readonly end?: Date;
}

const filterOptions = (command: Command): Command =>
  command
    .option('--username <name>', 'userIdentity.userName (or principalId)')
    .option('--event-name <name>')
    .option('--event-source <source>')
    .option('--resource-name <arn>', 'a resources[].ARN')
    .option('--resource-type <type>', 'a resources[].type')
    .option('--access-key-id <key>')
    .option('--event-id <id>')
    .option('--read-only <bool>', 'true or false', trueOrFalse)
    .option('--insights', 'insight events instead of API events')
    .option('--start <time>', 'ISO 8601 or relative (-1h, -30m, -2d)', time)
    .option('--end <time>', 'ISO 8601 or relative', time);

const filtersOf = (flags: LookupFlags): LookupFilters => ({
  Username: flags.username,
  EventName: flags.eventName,
  EventSource: flags.eventSource,
  ResourceName: flags.resourceName,
  ResourceType: flags.resourceType,
  AccessKeyId: flags.accessKeyId,
  EventId: flags.eventId,
  ReadOnly: flags.readOnly,
  EventCategory: flags.insights === true ? 'insight' : undefined,
  startTime: flags.start,
  endTime: flags.end,
});

const print = (text: string) => process.stdout.write(`${text}\n`);

async function put(client: OpenTrailClient, file: string | undefined, flags: { readonly json?: boolean }) {
  const text = file === undefined || file === '-' ? await readStdin() : await readInput(file);
  let events: Record<string, unknown>[];
  try {
    events = parseEvents(text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const bar =
    events.length >= PROGRESS_FROM && process.stderr.isTTY
      ? new SingleBar({ stream: process.stderr }, Presets.shades_classic)
      : undefined;
  bar?.start(events.length, 0);
  const outcomes: Record<string, unknown>[] = [];
  for (let start = 0; start < events.length; start += PUT_CHUNK) {
    const chunk = events.slice(start, start + PUT_CHUNK);
    const settled = await Promise.allSettled(
      // The API judges each event; a malformed one comes back as that event's failure.
      chunk.map((event) => client.put(event as unknown as ProducerEvent).finally(() => bar?.increment())),
    );
    settled.forEach((outcome, offset) => {
      const index = start + offset;
      if (outcome.status === 'fulfilled') outcomes.push({ index, ...outcome.value });
      else {
        const error = outcome.reason as Error;
        const errorCode = error instanceof OpenTrailError ? error.code : error.name;
        const errorMessage = 'errorMessage' in error ? String(error.errorMessage) : error.message;
        outcomes.push({ index, errorCode, errorMessage });
      }
    });
  }
  bar?.stop();
  const failed = outcomes.filter((outcome) => 'errorCode' in outcome);
  for (const failure of failed) {
    process.stderr.write(`event ${failure.index}: ${failure.errorCode}: ${failure.errorMessage}\n`);
  }
  if (flags.json === true) print(JSON.stringify(outcomes));
  else {
    const filtered = outcomes.filter((outcome) => outcome.filtered === true).length;
    print(
      `stored ${outcomes.length - failed.length - filtered}, filtered ${filtered}, failed ${failed.length}`,
    );
  }
  if (failed.length > 0) process.exitCode = EXIT_FAILED;
}

const readInput = (file: string) =>
  readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`cannot read ${file}: ${error.message}`);
  });

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('no input: give a file, or pipe JSON or NDJSON into stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface OutputFlags {
  readonly json?: boolean;
  readonly ndjson?: boolean;
}

async function lookup(
  client: OpenTrailClient,
  flags: LookupFlags & OutputFlags & { max: number; all?: boolean },
) {
  const limit = flags.all === true ? Number.POSITIVE_INFINITY : flags.max;
  const records: TrailRecord[] = [];
  const pageSize = Math.min(1000, limit);
  for await (const record of client.lookup({ ...filtersOf(flags), maxResults: pageSize })) {
    if (flags.ndjson === true) print(JSON.stringify(record));
    else records.push(record);
    if (records.length >= limit) break;
  }
  if (flags.json === true) print(JSON.stringify(records));
  else if (flags.ndjson !== true) print(table(records));
}

async function tail(client: OpenTrailClient, flags: LookupFlags & OutputFlags & { interval: number }) {
  let since = flags.start ?? new Date();
  let seen = new Set<string>();
  for (;;) {
    const fresh: TrailRecord[] = [];
    for await (const record of client.lookup({ ...filtersOf(flags), startTime: since, maxResults: 1000 })) {
      if (!seen.has(record.eventID)) fresh.push(record);
    }
    fresh.reverse();
    for (const record of fresh)
      print(
        flags.json === true || flags.ndjson === true
          ? JSON.stringify(record)
          : (table([record]).split('\n')[1] ?? ''),
      );
    const latest = fresh.at(-1);
    if (latest !== undefined) {
      since = new Date(latest.eventTime);
      // The next lookup starts at `since` (inclusive): only the records at that instant can come back.
      seen = new Set(
        fresh.filter((record) => record.eventTime === latest.eventTime).map(({ eventID }) => eventID),
      );
    }
    await sleep(flags.interval * 1000);
  }
}

/** Insights, one row per insight (its Start and End records share a sharedEventID), open ones first. */
async function insights(client: OpenTrailClient, flags: { start?: Date; end?: Date } & OutputFlags) {
  const byInsight = new Map<string, TrailRecord[]>();
  for await (const record of client.lookup({
    EventCategory: 'insight',
    startTime: flags.start,
    endTime: flags.end,
  })) {
    const key = record.sharedEventID ?? record.eventID;
    byInsight.set(key, [...(byInsight.get(key) ?? []), record]);
  }
  const rows = [...byInsight].map(([id, records]) => {
    const stateOf = (record: TrailRecord) => record.insightDetails?.state;
    const start = records.find((record) => stateOf(record) === 'Start');
    const end = records.find((record) => stateOf(record) === 'End');
    const first = start ?? end ?? records[0];
    return {
      id,
      open: end === undefined,
      eventSource: first?.eventSource ?? '',
      eventName: first?.eventName ?? '',
      insightType: String(first?.insightDetails?.insightType ?? ''),
      start: start?.eventTime ?? '',
      end: end?.eventTime ?? '',
    };
  });
  rows.sort((a, b) => Number(b.open) - Number(a.open) || b.start.localeCompare(a.start));
  if (flags.json === true) print(JSON.stringify(rows));
  else if (flags.ndjson === true) for (const row of rows) print(JSON.stringify(row));
  else {
    print(['STATE', 'SOURCE', 'NAME', 'TYPE', 'START', 'END', 'SHARED EVENT ID'].join('  '));
    for (const row of rows) {
      print(
        [
          row.open ? 'open' : 'closed',
          row.eventSource,
          row.eventName,
          row.insightType,
          row.start,
          row.end || '-',
          row.id,
        ].join('  '),
      );
    }
  }
}

function program(): Command {
  const root = new Command('opentrail')
    .description('Put events into an OpenTrail trail and look them up')
    .option('--endpoint <url>', 'the API URL (else OPENTRAIL_ENDPOINT, else local mode)')
    .option('--region <region>', 'the API region (else AWS_REGION)')
    .option('--profile <name>', 'an AWS profile for the credentials')
    .option('--local <file>', 'a local mode file (default: the nearest .opentrail/local.json)')
    .showHelpAfterError()
    .exitOverride();
  const withClient =
    <Args extends unknown[]>(run: (client: OpenTrailClient, ...args: Args) => Promise<void>) =>
    async (...args: Args) => {
      const client = await clientFor(root.opts<GlobalFlags>());
      try {
        await run(client, ...args);
      } finally {
        await client.close();
      }
    };
  root
    .command('put')
    .description('put events: JSON (an event, an array, {"events": [...]}) or NDJSON, from a file or stdin')
    .argument('[file]', "a file, or '-' for stdin (the default)")
    .option('--json', "print each event's outcome as a JSON array")
    .action(
      withClient((client, file: string | undefined, flags: { json?: boolean }) => put(client, file, flags)),
    );
  filterOptions(root.command('lookup').description('look events up, newest first'))
    .option('--max <n>', 'at most this many records', positiveInteger, 50)
    .option('--all', 'every matching record')
    .option('--json', 'one JSON array of records')
    .option('--ndjson', 'one record a line')
    .action(
      withClient((client, flags: LookupFlags & OutputFlags & { max: number; all?: boolean }) =>
        lookup(client, flags),
      ),
    );
  root
    .command('get')
    .description('one record by its eventID')
    .argument('<eventId>')
    .action(
      withClient(async (client, eventId: string) => {
        const record = await client.get(eventId);
        if (record === undefined) {
          process.stderr.write(`opentrail: no event ${eventId}\n`);
          process.exitCode = EXIT_FAILED;
        } else print(JSON.stringify(record, null, 2));
      }),
    );
  filterOptions(root.command('tail').description('follow new events until interrupted'))
    .option('--interval <seconds>', 'between lookups', positiveInteger, 2)
    .option('--json', 'one JSON record a line')
    .option('--ndjson', 'one JSON record a line')
    .action(
      withClient((client, flags: LookupFlags & OutputFlags & { interval: number }) => tail(client, flags)),
    );
  root
    .command('insights')
    .description('insights, open ones first')
    .option('--start <time>', 'ISO 8601 or relative (-1h, -7d)', time)
    .option('--end <time>', 'ISO 8601 or relative', time)
    .option('--json', 'one JSON array')
    .option('--ndjson', 'one insight a line')
    .action(
      withClient((client, flags: { start?: Date; end?: Date } & OutputFlags) => insights(client, flags)),
    );
  registerValidate(root);
  return root;
}

async function main(argv: readonly string[]): Promise<void> {
  try {
    await program().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the message (and the help); --help and --version are not failures.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
    } else if (error instanceof UsageError) {
      process.stderr.write(`opentrail: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else {
      const code = error instanceof OpenTrailError ? `${error.code}: ` : '';
      process.stderr.write(`opentrail: ${code}${(error as Error).message}\n`);
      process.exitCode = EXIT_FAILED;
    }
  }
}

await main(process.argv);
