import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatTable, mergeResults, type Outcome, statusOf } from '../../../bench/support/report.js';

const outcome = (name: Outcome['name'], result: object): Outcome => ({
  name,
  result,
  rows: [{ metric: 'm', value: '1', target: '<= 2', status: 'PASS' }],
  notes: [],
});

describe('results.json', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('replaces only the keys of the benchmarks that ran when the file exists', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    const file = join(dir, 'results.json');
    await writeFile(file, JSON.stringify({ bundles: { ingest: { bytes: 1 } }, ingest: { old: true } }));

    // Act
    await mergeResults(file, [outcome('ingest', { wruPerTypicalEvent: 4 })]);

    // Assess
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({
      ingest: { wruPerTypicalEvent: 4 },
      bundles: { ingest: { bytes: 1 } },
    });
  });

  it('creates the file when it does not exist yet', async () => {
    // Prepare
    dir = await mkdtemp(join(tmpdir(), 'bench-results-'));
    const file = join(dir, 'results.json');

    // Act
    await mergeResults(file, [outcome('lookup', { rruPerReturnedEvent: {} })]);

    // Assess
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ lookup: { rruPerReturnedEvent: {} } });
  });
});

describe('the printed table', () => {
  it('aligns every row under its column when values differ in width', () => {
    // Act
    const table = formatTable([outcome('ingest', {})]).split('\n');

    // Assess
    expect(table).toHaveLength(3);
    expect(new Set(table.map((line) => line.length)).size).toBe(1);
    expect(table[2]).toContain('PASS');
  });

  it('passes a value equal to its target and misses one above it', () => {
    // Act / Assess
    expect(statusOf(4, { max: 4 })).toBe('PASS');
    expect(statusOf(4.01, { max: 4 })).toBe('MISS');
  });
});
