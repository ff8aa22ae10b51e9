import {
  type Capability,
  FUNCTIONS,
  type FunctionName,
  type FunctionsTriggeredBy,
} from '../lambda/manifest/functions.js';

/**
 * The manifest's functions as the constructs pick them: by the capability (construct) they belong to, and by how
 * they are triggered.
 */

/** The manifest's stream consumers, as a type. */
export type StreamConsumerName = FunctionsTriggeredBy<'stream'>;

/** The functions of one capability that a trigger kind drives, in manifest order. */
export function functionsOf(capability: Capability, kind: 'http' | 'stream' | 'schedule'): FunctionName[] {
  return (Object.keys(FUNCTIONS) as FunctionName[]).filter(
    (name) =>
      FUNCTIONS[name].capability === capability &&
      FUNCTIONS[name].triggers.some((trigger) => trigger.kind === kind),
  );
}
