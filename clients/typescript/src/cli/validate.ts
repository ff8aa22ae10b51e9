import { S3Client } from '@aws-sdk/client-s3';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Presets, SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { ARCHIVE_PREFIXES } from '../generated/archive-layout.js';
import { findLocalFile } from '../local-config.js';
import { cloudTrailControlPlane } from '../validate/control-plane.js';
import { checkedLine, findingLine, reportJson, startLine, summaryLines } from '../validate/report.js';
import { s3ObjectStore } from '../validate/s3-store.js';
import { targetFromLocalFile, targetFromStackOutputs, type ValidateTarget } from '../validate/target.js';
import { validateArchive, verified } from '../validate/validator.js';
import { positiveInteger, time } from './arguments.js';

const DEFAULT_CONCURRENCY = 8;
/** Ranges longer than this get a progress bar (on a terminal, without --verbose or --json). */
const PROGRESS_FROM_MS = 86_400_000;
const EXIT_NOT_VERIFIED = 1;

interface ValidateFlags {
  readonly startTime: Date;
  readonly endTime?: Date;
  readonly config?: string;
  readonly stack?: string;
  readonly digestInterval?: number;
  readonly grace?: number;
  readonly concurrency: number;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

interface RootFlags {
  readonly local?: string;
  readonly profile?: string;
}

const print = (text: string) => process.stdout.write(`${text}\n`);

async function resolveTarget(
  command: Command,
  flags: ValidateFlags,
  root: RootFlags,
): Promise<ValidateTarget> {
  if (flags.stack !== undefined) return targetFromStackOutputs(flags.stack);
  const file = flags.config ?? root.local ?? (await findLocalFile());
  if (file === undefined) {
    command.error(
      'opentrail validate: no trail: pass --config (local mode) or --stack (cdk deploy --outputs-file), or run inside a project whose local mode is running',
    );
  }
  return targetFromLocalFile(file);
}

async function validate(command: Command, flags: ValidateFlags, root: RootFlags): Promise<void> {
  const now = new Date();
  const endTime = flags.endTime ?? now;
  if (flags.startTime > endTime) {
    command.error('opentrail validate: invalid time range: --start-time must occur before --end-time');
  }
  const target = await resolveTarget(command, flags, root);
  const chain = fromNodeProviderChain(root.profile === undefined ? {} : { profile: root.profile });
  const s3 = new S3Client({
    region: target.region,
    credentials: target.s3Credentials ?? chain,
    // An emulator serves buckets by path; AWS by host name.
    ...(target.s3Endpoint === undefined ? {} : { endpoint: target.s3Endpoint, forcePathStyle: true }),
  });
  const text = flags.json !== true;
  const bar =
    text &&
    flags.verbose !== true &&
    process.stderr.isTTY &&
    endTime.getTime() - flags.startTime.getTime() > PROGRESS_FROM_MS
      ? new SingleBar(
          { stream: process.stderr, format: 'validating {bar} {value}/{total} log files, {digests} digests' },
          Presets.shades_classic,
        )
      : undefined;
  if (text) print(`${startLine({ trailArn: target.trailArn, startTime: flags.startTime, endTime })}\n`);
  // Lines written under a live bar would tear it: findings wait for the bar to stop.
  const heldFindings: string[] = [];
  const stopBar = () => {
    bar?.stop();
    for (const line of heldFindings.splice(0)) process.stderr.write(line);
  };
  bar?.start(0, 0, { digests: 0 });
  try {
    const report = await validateArchive(
      {
        trailArn: target.trailArn,
        archive: { bucket: target.archiveBucket, prefix: ARCHIVE_PREFIXES.events },
        startTime: flags.startTime,
        endTime,
        now,
        digestIntervalSeconds: flags.digestInterval ?? target.digestIntervalSeconds,
        graceSeconds: flags.grace,
        concurrency: flags.concurrency,
      },
      {
        store: s3ObjectStore(s3),
        controlPlane: cloudTrailControlPlane({
          endpoint: target.apiUrl,
          region: target.region,
          credentials: target.apiCredentials ?? chain,
        }),
      },
      {
        onChecked: (checked) => {
          if (text && flags.verbose === true && checked.valid) print(checkedLine(checked));
        },
        onFinding: (finding) => {
          if (!text) return;
          if (bar === undefined) process.stderr.write(`${findingLine(finding)}\n`);
          else heldFindings.push(`${findingLine(finding)}\n`);
        },
        onProgress: (progress) => {
          bar?.setTotal(progress.logFilesFound);
          bar?.update(progress.logFilesChecked, { digests: progress.digests });
        },
      },
    );
    stopBar();
    if (text) print(`\n${summaryLines(report).join('\n')}`);
    else print(JSON.stringify(reportJson(report)));
    if (!verified(report)) process.exitCode = EXIT_NOT_VERIFIED;
  } finally {
    stopBar();
    s3.destroy();
  }
}

/** `opentrail validate`: docs/integrity.md, "Validate with opentrail validate". */
export function registerValidate(root: Command): void {
  const command = root
    .command('validate')
    .description(
      "check the archive's signed, chained digests as `aws cloudtrail validate-logs` does, and what it cannot see",
    )
    .requiredOption(
      '--start-time <time>',
      'ISO 8601 or relative (-1h, -2d): digests delivered from then',
      time,
    )
    .option('--end-time <time>', 'ISO 8601 or relative (default: now)', time)
    .addOption(
      new Option(
        '--config <file>',
        "local mode's file (default: --local, else the nearest .opentrail/local.json)",
      ),
    )
    .addOption(
      new Option('--stack <file>', "a deployed stack's outputs (cdk deploy --outputs-file)").conflicts(
        'config',
      ),
    )
    .option(
      '--digest-interval <seconds>',
      "seconds between digests (default: the config's, else the newest digest's period)",
      positiveInteger,
    )
    .option(
      '--grace <seconds>',
      'how late a digest or a delivery may be (default: one interval, at most 300)',
      positiveInteger,
    )
    .option('--concurrency <n>', 'S3 reads at once', positiveInteger, DEFAULT_CONCURRENCY)
    .option('--json', 'the report as one JSON object')
    .option('--verbose', 'a line for every valid digest and log file too');
  command.action((flags: ValidateFlags) => validate(command, flags, root.opts<RootFlags>()));
}
