import type { Checked, Finding, FindingKind, ValidationReport } from './validator.js';
import { verified } from './validator.js';

/**
 * The validation's words, in the AWS CLI's layout (validate-logs' _write_status and _write_summary_text) so that
 * whoever reads one reads the other, with OpenTrail's own findings after the CLI's counts.
 */

const displayTime = (time: Date) => time.toISOString().replace(/\.\d{3}Z$/, 'Z');

const LABELS: Readonly<Record<FindingKind, string>> = {
  'digest-not-found': 'Digest file',
  'digest-invalid': 'Digest file',
  'log-not-found': 'Log file',
  'log-invalid': 'Log file',
  'log-refused': 'Log file',
  'log-listed-twice': 'Log file',
  'digest-missing-newest': 'Digest files',
  'digest-not-in-chain': 'Digest file',
  'chain-break': 'Digest file',
  'chain-gap': 'Digest file',
  'chain-link': 'Digest file',
  'object-unlisted': 'Archive object',
};

/** What the CLI cannot see, as the summary counts it. */
const BEYOND_THE_CLI: ReadonlyArray<readonly [FindingKind, string]> = [
  ['digest-missing-newest', 'digests missing at the newest end'],
  ['object-unlisted', 'archive objects listed by no digest'],
  ['log-refused', 'log files that are not exactly one gzip member'],
  ['log-listed-twice', 'log files listed more than once'],
  ['chain-break', 'breaks in the digest chain'],
  ['chain-gap', 'gaps in time between digests'],
  ['chain-link', 'previous-digest fields that do not match the previous digest'],
  ['digest-not-in-chain', 'digest files the chain does not reach'],
];

export const startLine = (report: Pick<ValidationReport, 'trailArn' | 'startTime' | 'endTime'>) =>
  `Validating log files for trail ${report.trailArn} between ${displayTime(report.startTime)} and ${displayTime(report.endTime)}`;

export const checkedLine = ({ type, object }: Checked) =>
  `${type === 'digest' ? 'Digest file' : 'Log file'}\t${object}\tvalid`;

export const findingLine = ({ kind, object, reason }: Finding) =>
  `${LABELS[kind]}\t${object}\tINVALID: ${reason}`;

const ratio = (valid: number, invalid: number, name: string): string[] => {
  const total = valid + invalid;
  if (total === 0) return [];
  return [
    `${valid}/${total} ${name} files valid${invalid > 0 ? `, ${invalid}/${total} ${name} files INVALID` : ''}`,
  ];
};

/** The closing summary: the CLI's lines, then what OpenTrail found beyond them, then the verdict. */
export function summaryLines(report: ValidationReport): string[] {
  const lines = [`Results requested for ${displayTime(report.startTime)} to ${displayTime(report.endTime)}`];
  const digests = report.digests.valid + report.digests.invalid;
  if (digests === 0) lines.push('No digests found');
  else if (report.foundStartTime === undefined || report.foundEndTime === undefined) {
    lines.push('No valid digests found in range');
  } else {
    lines.push(
      `Results found for ${displayTime(report.foundStartTime)} to ${displayTime(report.foundEndTime)}:`,
    );
  }
  lines.push(
    '',
    ...ratio(report.digests.valid, report.digests.invalid, 'digest'),
    ...ratio(report.logFiles.valid, report.logFiles.invalid, 'log'),
  );
  const beyond = BEYOND_THE_CLI.flatMap(([kind, words]) => {
    const count = report.findings.filter((finding) => finding.kind === kind).length;
    return count === 0 ? [] : [`${words} (${count})`];
  });
  lines.push(
    `Beyond the AWS CLI: ${beyond.length === 0 ? 'nothing missing, unlisted or out of chain' : beyond.join(', ')}`,
  );
  lines.push(
    '',
    verified(report)
      ? 'Verified: every digest and log file of the range checks'
      : `NOT verified: ${report.findings.length} finding${report.findings.length === 1 ? '' : 's'}`,
  );
  return lines;
}

/** --json: the report with times as ISO text and the verdict. */
export const reportJson = (report: ValidationReport) => ({ verified: verified(report), ...report });
