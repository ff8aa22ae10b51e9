import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_PATH, schemaText } from '../../scripts/write-schema.js';

describe('schema/producer-event.schema.json', () => {
  it('is exactly what the event model generates (run `npm run schema` after changing the model)', () => {
    expect(readFileSync(SCHEMA_PATH, 'utf8')).toBe(schemaText());
  });
});
