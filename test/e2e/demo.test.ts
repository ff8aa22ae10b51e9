import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/emulator.js';
import { parseDemoArgs, UsageError } from '../../scripts/demo/options.js';
import { type DemoReport, demoSucceeded, runDemo } from '../../scripts/demo/run.js';

process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

/**
 * `npm run demo` as a module: a small run against local mode started in this process. It must finish on its own,
 * have every event accepted, open the burst's insight, and find every event of the run its example lookups
 * promise; the flags are checked before anything starts.
 */
describe('npm run demo', () => {
  it('sends the traffic, opens an insight and finds every promised event when run small against local mode', async () => {
    // Prepare
    const parsed = parseDemoArgs(['--events', '300', '--baseline-minutes', '15', '--deadline', '170']);
    if (parsed.help) throw new Error('expected options, not --help');
    const lines: string[] = [];

    // Act
    const report: DemoReport = await runDemo(parsed.options, { print: (line) => lines.push(line) });

    // Assess
    expect(report).toMatchObject({ sent: 300, accepted: 300, failed: [] });
    expect(Object.keys(report.acceptedByApp).sort()).toEqual([
      'auth.example.com',
      'billing.example.com',
      'orders.example.com',
    ]);
    expect(report.insight).toMatchObject({ insightType: 'ApiCallRateInsight' });
    expect(report.insight?.insightAverage).toBeGreaterThan(report.insight?.baselineAverage ?? Infinity);
    expect(report.lookups.map((lookup) => Object.keys(lookup.query)[0])).toEqual([
      'Username',
      'EventName',
      'ResourceName',
    ]);
    for (const lookup of report.lookups) {
      expect(lookup.expected, lookup.title).toBeGreaterThan(0);
      expect(lookup, lookup.title).toMatchObject({ found: lookup.expected, missing: [], others: 0 });
    }
    expect(report.archive?.objects).toBeGreaterThan(0);
    expect(report.logs?.streams).toBeGreaterThan(0);
    expect(demoSucceeded(report)).toBe(true);
    expect(lines.filter((line) => /sent \d+\/300 {2}accepted/.test(line)).length).toBeGreaterThan(1);
    expect(lines.at(-1)).toMatch(/npm run demo -- --url/);
    expect(lines.join('\n')).toContain('Start ApiCallRateInsight');
  });

  it('refuses bad flags with a usage error before starting anything', () => {
    // Prepare
    const bad = [
      ['--events', 'many'],
      ['--events', '10'],
      ['--baseline-minutes', '5'],
      ['--url', 'localhost:3000'],
      ['--deadline', '0'],
      ['--colour'],
      ['extra'],
    ];

    // Act
    const outcomes = bad.map((args) => {
      try {
        parseDemoArgs(args);
        return 'accepted';
      } catch (error) {
        return error instanceof UsageError ? 'usage' : String(error);
      }
    });

    // Assess
    expect(outcomes).toEqual(bad.map(() => 'usage'));
    expect(parseDemoArgs(['--help'])).toEqual({ help: true });
    expect(parseDemoArgs([])).toMatchObject({ help: false, options: { events: 1500, baselineMinutes: 30 } });
  });

  it('exits 2 with the usage text when run with a bad flag', () => {
    // Act
    const run = spawnSync('npx', ['tsx', 'scripts/demo.ts', '--events', 'lots'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--events must be a whole number');
    expect(run.stderr).toContain('Usage: npm run demo');
    expect(run.stdout).toBe('');
  });
});
