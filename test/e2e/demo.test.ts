import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inferClientType } from '../../lambda/core/client-type.js';
import { inferReadOnly, validateProducerEvent } from '../../lambda/core/event-model.js';
import { PROJECT_ROOT } from '../../local/emulator.js';
import { parseDemoArgs, UsageError } from '../../scripts/demo/options.js';
import { type DemoReport, demoSucceeded, runDemo } from '../../scripts/demo/run.js';
import { BURST_KEY, planTraffic } from '../../scripts/demo/traffic.js';

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
    // No local.json: a local mode `npm start` may be running next to the test must not be picked up.
    const report: DemoReport = await runDemo(parsed.options, {
      print: (line) => lines.push(line),
      localConfigFile: join(PROJECT_ROOT, '.opentrail', 'no-such-local.json'),
    });

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

  it('plans valid traffic from every client type, with reads, writes, errors and the burst, the same for a seed', () => {
    // Prepare
    const nowMs = Date.parse('2026-11-24T12:00:30Z');
    const options = { events: 1500, baselineMinutes: 30, nowMs, runId: 'plan', seed: 7 };

    // Act
    const plan = planTraffic(options);
    const again = planTraffic(options);
    const otherSeed = planTraffic({ ...options, seed: 8 });

    // Assess
    const events = plan.events.map(({ event }) => event);
    expect(events).toHaveLength(1500);
    expect(events.every((event) => validateProducerEvent(event).ok)).toBe(true);
    expect(new Set(events.map((event) => inferClientType(event)))).toEqual(
      new Set(['console', 'sdk', 'cli', 'service']),
    );
    expect(new Set(events.map((event) => inferReadOnly(event.eventName)))).toEqual(new Set([true, false]));
    const errors = events.filter((event) => event.errorCode !== undefined).length;
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(events.length * 0.1);
    const times = events.map((event) => Date.parse(event.eventTime ?? ''));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(nowMs - 31 * 60_000);
    expect(Math.max(...times)).toBeLessThanOrEqual(nowMs);
    const burstMinutes = new Map<number, number>();
    for (const event of events.filter(({ eventName }) => eventName === BURST_KEY.eventName)) {
      const minute = Math.floor(Date.parse(event.eventTime ?? '') / 60_000);
      burstMinutes.set(minute, (burstMinutes.get(minute) ?? 0) + 1);
    }
    const nowMinute = Math.floor(nowMs / 60_000);
    expect([5, 4, 3].map((ago) => burstMinutes.get(nowMinute - ago))).toEqual([40, 40, 40]);
    expect(burstMinutes.get(nowMinute - 10)).toBe(2);
    expect(new Set(events.map((event) => event.id)).size).toBe(1500);
    expect(again).toEqual(plan);
    expect(otherSeed.events).not.toEqual(plan.events);
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
