import { writeFileSync } from 'node:fs';
import { producerEventJsonSchema, trailRecordJsonSchema } from '../lambda/core/event-model.js';

/**
 * Writes the JSON Schemas generated from the event model: what producers send (to validate before sending)
 * and the stored record (what lookups return and the archive holds, for consumers of the archive).
 */
export const SCHEMA_FILES = [
  {
    path: new URL('../schema/producer-event.schema.json', import.meta.url),
    text: () => schemaText('producer-event', 'OpenTrail producer event', producerEventJsonSchema()),
  },
  {
    path: new URL('../schema/trail-record.schema.json', import.meta.url),
    text: () => schemaText('trail-record', 'OpenTrail stored event record', trailRecordJsonSchema()),
  },
] as const;

function schemaText(id: string, title: string, schema: Record<string, unknown>): string {
  return `${JSON.stringify({ $id: `https://opentrail.dev/schema/${id}.json`, title, ...schema }, null, 2)}\n`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '')) {
  for (const file of SCHEMA_FILES) {
    writeFileSync(file.path, file.text());
    console.log(`wrote ${file.path.pathname}`);
  }
}
