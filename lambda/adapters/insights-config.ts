import { TRAIL_ENV } from '../core/environment.js';

/** Insights settings from the environment; unset ones fall back to the detector's defaults. */
export interface InsightsSettings {
  readonly baselineMinutes: number;
  readonly sensitivity?: number;
  readonly minVolume?: number;
}

const DEFAULT_BASELINE_MINUTES = 7 * 1440;

function positiveNumber(name: string, env: NodeJS.ProcessEnv): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`OpenTrail configuration is invalid: ${name} must be a positive number (got "${text}")`);
  }
  return value;
}

export function insightsConfig(env: NodeJS.ProcessEnv = process.env): InsightsSettings {
  const baseline = positiveNumber(TRAIL_ENV.insightsBaselineMinutes, env);
  const sensitivity = positiveNumber(TRAIL_ENV.insightsSensitivity, env);
  const minVolume = positiveNumber(TRAIL_ENV.insightsMinVolume, env);
  return {
    baselineMinutes: Math.round(baseline ?? DEFAULT_BASELINE_MINUTES),
    ...(sensitivity === undefined ? {} : { sensitivity }),
    ...(minVolume === undefined ? {} : { minVolume }),
  };
}
