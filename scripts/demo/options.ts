import { parseArgs } from 'node:util';
import { minimumEvents } from './traffic.js';

/** `npm run demo -- [flags]`: the flags, their defaults and their checks. */

export interface DemoOptions {
  /** Events to send; the default takes about a minute in local mode. */
  readonly events: number;
  /** A running OpenTrail API (local mode or deployed); without it the demo starts local mode in-process. */
  readonly url?: string;
  /** History the traffic spreads over (back-dated) and the insights baseline of the in-process local mode. */
  readonly baselineMinutes: number;
  /** The whole demo, start to finish, stops after this many seconds. */
  readonly deadlineSeconds: number;
  readonly seed: number;
}

export const DEFAULT_OPTIONS: DemoOptions = {
  events: 1500,
  baselineMinutes: 30,
  deadlineSeconds: 240,
  seed: 1,
};

const LIMITS = {
  events: { max: 100_000 },
  baselineMinutes: { min: 15, max: 1440 },
  deadlineSeconds: { min: 10, max: 3600 },
};

export const USAGE = `Usage: npm run demo -- [--events N] [--url URL] [--baseline-minutes M] [--deadline SECONDS] [--seed S]

Sends realistic traffic (three apps; console, SDK, CLI and service clients; reads, writes, errors) and a burst
that opens an insight, then shows example lookups and where the archive and the logs are.

  --events N            events to send, at least ${minimumEvents(DEFAULT_OPTIONS.baselineMinutes)} (default ${DEFAULT_OPTIONS.events}, about a minute)
  --url URL             a running OpenTrail API (npm start, or a deployed stack's ApiUrl); credentials from
                        .opentrail/local.json when it describes that URL, else AWS_ACCESS_KEY_ID,
                        AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), region from AWS_REGION.
                        Default: the local mode npm start runs (.opentrail/local.json, when its API
                        answers), else local mode started in this process (port OPENTRAIL_PORT or a free one)
  --baseline-minutes M  history the traffic spreads over, ${LIMITS.baselineMinutes.min}-${LIMITS.baselineMinutes.max} (default ${DEFAULT_OPTIONS.baselineMinutes})
  --deadline SECONDS    hard limit for the whole demo (default ${DEFAULT_OPTIONS.deadlineSeconds})
  --seed S              traffic seed (default ${DEFAULT_OPTIONS.seed})
  --help                this text`;

/** A flag problem; the script prints it with the usage text and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly options: DemoOptions };

const wholeNumber = (
  flag: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max} (got "${text}")`);
  }
  return value;
};

export function parseDemoArgs(args: readonly string[]): ParsedArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        events: { type: 'string' },
        url: { type: 'string' },
        'baseline-minutes': { type: 'string' },
        deadline: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help === true) return { help: true };
  const text = (flag: string) => values[flag] as string | undefined;
  const { baselineMinutes: baselineRange, deadlineSeconds: deadlineRange } = LIMITS;
  const baselineMinutes =
    wholeNumber('baseline-minutes', text('baseline-minutes'), baselineRange.min, baselineRange.max) ??
    DEFAULT_OPTIONS.baselineMinutes;
  // A long baseline needs more of the burst key's trickle than the default leaves room for.
  const events =
    wholeNumber('events', text('events'), minimumEvents(baselineMinutes), LIMITS.events.max) ??
    Math.max(DEFAULT_OPTIONS.events, minimumEvents(baselineMinutes));
  const url = text('url');
  if (url !== undefined && !/^https?:\/\/[^/\s]+/.test(url)) {
    throw new UsageError(`--url must be an http(s) URL (got "${url}")`);
  }
  return {
    help: false,
    options: {
      events,
      baselineMinutes,
      deadlineSeconds:
        wholeNumber('deadline', text('deadline'), deadlineRange.min, deadlineRange.max) ??
        DEFAULT_OPTIONS.deadlineSeconds,
      seed: wholeNumber('seed', text('seed'), 0, 2 ** 31) ?? DEFAULT_OPTIONS.seed,
      ...(url === undefined ? {} : { url }),
    },
  };
}
