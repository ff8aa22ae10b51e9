import { writeFileSync } from 'node:fs';
import { producerEventJsonSchema } from '../lambda/core/event-model.js';

/** Writes the producer event JSON Schema that OpenTrail validates against, for producers to validate early. */
export const SCHEMA_PATH = new URL('../schema/producer-event.schema.json', import.meta.url);

export function schemaText(): string {
  return `${JSON.stringify({ $id: 'https://opentrail.dev/schema/producer-event.json', title: 'OpenTrail producer event', ...producerEventJsonSchema() }, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  writeFileSync(SCHEMA_PATH, schemaText());
  console.log(`wrote ${SCHEMA_PATH.pathname}`);
}
