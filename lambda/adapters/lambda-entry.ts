import type { FunctionConfig, FunctionRuntime } from '../functions/runtime.js';
import { FUNCTIONS, type FunctionName } from '../manifest/functions.js';
import { readSettings } from '../manifest/settings.js';
import { logger } from './logger.js';

/**
 * A Lambda entry point: the function's settings read once from the environment the construct wrote (a bad
 * value stops the cold start with every problem named), then the function built with its SDK clients.
 */
export function lambdaHandler<F extends FunctionName, H>(
  name: F,
  build: (config: FunctionConfig<F>, runtime: FunctionRuntime) => H,
): H {
  const config = readSettings(FUNCTIONS[name].settings, process.env) as FunctionConfig<F>;
  const { region } = readSettings(['region'], process.env);
  return build(config, { logger, aws: { region } });
}
