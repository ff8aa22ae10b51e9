import { describe, expect, it } from 'vitest';
import { PRESETS, parseInstant, RETENTION_MS, resolveRange } from '../../../console/src/time.js';

const NOW = Date.parse('2026-11-05T12:00:00Z');

describe('console time ranges', () => {
  it('offers the presets the issue names, shortest first', () => {
    expect(PRESETS.map((preset) => preset.label)).toEqual([
      '15 min',
      '1 h',
      '3 h',
      '12 h',
      '1 d',
      '7 d',
      '30 d',
      '90 d',
    ]);
  });

  it('resolves a preset against now', () => {
    expect(resolveRange({ kind: 'relative', preset: '3h' }, NOW)).toEqual({
      startMs: NOW - 3 * 3_600_000,
      endMs: NOW,
    });
  });

  it('opens an absolute range without an end at now, and without a start at the retention window', () => {
    expect(resolveRange({ kind: 'absolute', startMs: NOW - 1000 }, NOW)).toEqual({
      startMs: NOW - 1000,
      endMs: NOW,
    });
    expect(resolveRange({ kind: 'absolute', endMs: NOW }, NOW + 5)).toEqual({
      startMs: NOW - RETENTION_MS,
      endMs: NOW,
    });
  });

  it('takes ISO instants with an offset only', () => {
    expect(parseInstant('2026-11-05T12:00:00Z')).toBe(NOW);
    expect(parseInstant('2026-11-05T13:00:00.000+01:00')).toBe(NOW);
    expect(parseInstant('2026-11-05T12:00:00')).toBeUndefined();
    expect(parseInstant('2026-11-05')).toBeUndefined();
    expect(parseInstant('2026-13-05T12:00:00Z')).toBeUndefined();
  });
});
