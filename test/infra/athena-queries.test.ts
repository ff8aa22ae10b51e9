import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_COLUMNS,
  ARCHIVE_PARTITION_KEYS,
  DEDUPED_VIEW_NAME,
  RAW_TABLE_NAME,
} from '../../lib/archive-table.js';
import { ATHENA_QUERIES, CREATE_EVENTS_VIEW } from '../../lib/athena-queries.js';

const EXAMPLES = ATHENA_QUERIES.filter((query) => query !== CREATE_EVENTS_VIEW);

describe('Athena queries', () => {
  it('creates the view over the raw table under the agreed names when the view query runs', () => {
    // Assess
    expect(CREATE_EVENTS_VIEW.sql).toMatch(new RegExp(`^CREATE OR REPLACE VIEW ${DEDUPED_VIEW_NAME} AS\\n`));
    expect(CREATE_EVENTS_VIEW.sql).toContain(`FROM ${RAW_TABLE_NAME}\n`);
    expect([RAW_TABLE_NAME, DEDUPED_VIEW_NAME]).toEqual(['events_raw', 'events']);
  });

  it('selects every table column and partition key, in table order, when the view is created', () => {
    // Prepare
    const selectList = /^CREATE OR REPLACE VIEW \w+ AS\nSELECT ([\s\S]+?)\nFROM \(/.exec(
      CREATE_EVENTS_VIEW.sql,
    )?.[1];

    // Act
    const selected = selectList?.split(',').map((name) => name.trim());

    // Assess
    expect(selected).toEqual([...ARCHIVE_COLUMNS, ...ARCHIVE_PARTITION_KEYS].map((column) => column.name));
  });

  it('keeps one row per eventID when the view or any example reads the archive', () => {
    // Assess
    for (const query of ATHENA_QUERIES) {
      expect(query.sql, query.id).toContain('row_number() OVER (PARTITION BY eventid) AS copy_number');
      expect(query.sql, query.id).toContain('WHERE copy_number = 1');
    }
  });

  it('narrows the raw table to partitions before deduplicating when an example runs', () => {
    // Assess
    expect(EXAMPLES).toHaveLength(3);
    for (const query of EXAMPLES) {
      expect(query.sql, query.id).toMatch(
        new RegExp(
          `^WITH matching AS \\(\\n  SELECT \\*\\n  FROM ${RAW_TABLE_NAME}\\n  WHERE year = '\\d{4}' AND month`,
        ),
      );
    }
  });

  it('gives every saved query a unique id and a name under OpenTrail when they are listed', () => {
    // Assess
    expect(new Set(ATHENA_QUERIES.map((query) => query.id)).size).toBe(ATHENA_QUERIES.length);
    for (const query of ATHENA_QUERIES) expect(query.name).toMatch(/^OpenTrail: /);
  });

  it('reads only columns the table declares when an example selects struct fields', () => {
    // Prepare
    const columns = new Set(ARCHIVE_COLUMNS.map((column) => column.name));

    // Act
    const structRoots = EXAMPLES.flatMap((query) =>
      [...query.sql.matchAll(/\b([a-z]+)\.([a-z]+)\b/g)].map((match) => match[1]),
    ).filter((root) => root !== 'r');

    // Assess
    expect(structRoots.length).toBeGreaterThan(0);
    for (const root of structRoots) expect(columns).toContain(root);
  });
});
