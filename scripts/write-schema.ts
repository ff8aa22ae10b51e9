import { writeFileSync } from 'node:fs';
import { jsonSchemaDocument } from '../lambda/core/event-model.js';
import { producerEventSchema, trailRecordSchema } from '../lambda/core/event-schema.js';

/**
 * Writes the JSON Schemas of the event model (its TypeBox source, so nothing generated is read): what producers
 * send (to validate before sending) and the stored record (what lookups return and the archive holds, for
 * consumers of the archive).
 */
export const SCHEMA_FILES = [
  {
    path: new URL('../schema/producer-event.schema.json', import.meta.url),
    text: () =>
      schemaText('producer-event', 'OpenTrail producer event', jsonSchemaDocument(producerEventSchema)),
  },
  {
    path: new URL('../schema/trail-record.schema.json', import.meta.url),
    text: () =>
      schemaText('trail-record', 'OpenTrail stored event record', jsonSchemaDocument(trailRecordSchema)),
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
