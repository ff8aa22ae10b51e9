import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SCHEMA_FILES } from '../../scripts/write-schema.js';
import { VALIDATOR_FILES } from '../../scripts/write-validators.js';

describe('schema/*.schema.json', () => {
  it.each(SCHEMA_FILES.map((file) => [file.path.pathname.split('/').pop(), file] as const))(
    '%s is exactly what the event model generates (run `npm run schema` after changing the model)',
    (_, file) => {
      expect(readFileSync(file.path, 'utf8')).toBe(file.text());
    },
  );
});

describe('lambda/core/generated', () => {
  it.each(VALIDATOR_FILES.map((file) => [file.path.pathname.split('/').pop(), file] as const))(
    '%s is exactly what TypeBox generates from the event model (run `npm run schema` after changing it)',
    (_, file) => {
      expect(readFileSync(file.path, 'utf8')).toBe(file.text());
    },
  );
});
