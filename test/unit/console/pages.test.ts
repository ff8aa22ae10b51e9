import { describe, expect, it } from 'vitest';
import { forEachPage, type Page } from '../../../console/src/pages.js';

const PAGES: Record<string, Page<number>> = {
  first: { events: [1, 2], nextToken: 'b' },
  b: { events: [3], nextToken: 'c' },
  c: { events: [4] },
};

describe('console download paging', () => {
  it('hands on every page in order with the running total', async () => {
    // Prepare
    const seen: Array<[readonly number[], number]> = [];

    // Act
    const total = await forEachPage(
      async (token) => PAGES[token ?? 'first'] ?? { events: [] },
      (events, count) => seen.push([events, count]),
      new AbortController().signal,
    );

    // Assess
    expect(total).toBe(4);
    expect(seen).toEqual([
      [[1, 2], 2],
      [[3], 3],
      [[4], 4],
    ]);
  });

  it('stops before the next page once cancelled', async () => {
    // Prepare
    const controller = new AbortController();
    const asked: Array<string | undefined> = [];

    // Act
    const run = forEachPage(
      async (token) => {
        asked.push(token);
        return PAGES[token ?? 'first'] ?? { events: [] };
      },
      () => controller.abort(),
      controller.signal,
    );

    // Assess
    await expect(run).rejects.toThrow();
    expect(asked).toEqual([undefined]);
  });
});
