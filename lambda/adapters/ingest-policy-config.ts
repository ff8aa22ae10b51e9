import { TRAIL_ENV } from '../core/environment.js';
import type { IngestPolicy } from '../core/ingest.js';
import { compileRedaction, type RedactionRules, redactionProblems } from '../core/redaction.js';
import { compileSelectors, selectorProblems, type TrailSelectors } from '../core/selectors.js';

/**
 * The ingest function's selectors and redaction rules, from two JSON environment variables (TRAIL_ENV.selectors,
 * TRAIL_ENV.redaction), validated by the same functions the CDK app runs at synth. Read once per container; an
 * invalid value stops the cold start with every problem named, so a bad deployment never records the wrong events.
 */
export function readIngestPolicy(env: NodeJS.ProcessEnv = process.env): IngestPolicy {
  const { selectors, redaction } = readIngestSettings(env);
  return { selectors: compileSelectors(selectors), redact: compileRedaction(redaction) };
}

/** The validated settings before compiling, for local mode, which passes them on to the ingest function. */
export interface IngestSettings {
  readonly selectors?: TrailSelectors;
  readonly redaction?: RedactionRules;
}

/** The two JSON variables parsed and validated; throws with every problem named, as readIngestPolicy does. */
export function readIngestSettings(env: NodeJS.ProcessEnv = process.env): IngestSettings {
  const problems: string[] = [];
  const selectors = jsonSetting(TRAIL_ENV.selectors, env, problems);
  const redaction = jsonSetting(TRAIL_ENV.redaction, env, problems);
  problems.push(
    ...selectorProblems(selectors).map((problem) => `${TRAIL_ENV.selectors}: ${problem}`),
    ...redactionProblems(redaction).map((problem) => `${TRAIL_ENV.redaction}: ${problem}`),
  );
  if (problems.length > 0) throw new Error(`OpenTrail configuration is invalid: ${problems.join('; ')}`);
  return {
    ...(selectors === undefined ? {} : { selectors: selectors as TrailSelectors }),
    ...(redaction === undefined ? {} : { redaction: redaction as RedactionRules }),
  };
}

/** The parsed value of a JSON variable; unset or empty is undefined (the defaults). */
function jsonSetting(name: string, env: NodeJS.ProcessEnv, problems: string[]): unknown {
  const text = env[name];
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.push(`${name} is not valid JSON: ${(error as Error).message}`);
    return undefined;
  }
}
