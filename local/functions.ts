import { buildArchive } from '../lambda/functions/archive.js';
import { buildDigester } from '../lambda/functions/digester.js';
import { buildIngest } from '../lambda/functions/ingest.js';
import { buildInsights } from '../lambda/functions/insights.js';
import { buildInsightsCounter } from '../lambda/functions/insights-counter.js';
import { buildLogForward } from '../lambda/functions/log-forward.js';
import { buildLookup } from '../lambda/functions/lookup.js';
import type { FunctionConfig, FunctionRuntime } from '../lambda/functions/runtime.js';
import type { FunctionName } from '../lambda/manifest/functions.js';

/**
 * How local mode builds each function of the manifest: the same builders the Lambda entry points call
 * (lambda/handlers/), given their settings as values. The compiler asks for an entry for every manifest function.
 */
export const FUNCTION_BUILDERS = {
  ingest: buildIngest,
  lookup: buildLookup,
  archive: buildArchive,
  logForward: buildLogForward,
  insightsCounter: buildInsightsCounter,
  insights: buildInsights,
  digester: buildDigester,
} as const satisfies {
  readonly [F in FunctionName]: (config: FunctionConfig<F>, runtime: FunctionRuntime) => unknown;
};
