import Schema from 'typebox/schema';
import { PRODUCER_EVENT_SCHEMA } from './generated/producer-schema.js';

let validator: ReturnType<typeof Schema.Compile> | undefined;

/**
 * Checks an event against the producer schema before it is queued, so a malformed event fails at the call
 * site. The schema is a necessary condition: the trail still counts UTF-8 bytes and checks the identity.
 * Returns what is wrong, or undefined.
 */
export function schemaProblems(event: unknown): string | undefined {
  validator ??= Schema.Compile(PRODUCER_EVENT_SCHEMA);
  const [valid, errors] = validator.Errors(event);
  if (valid) return undefined;
  return errors.map((error) => `${error.instancePath || '/'} ${error.message}`).join('; ');
}
