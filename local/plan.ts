import { routeKey, TRAIL_ROUTES } from '../lambda/core/trail-routes.js';
import type { FunctionConfig } from '../lambda/functions/runtime.js';
import {
  FUNCTION_NAMES,
  FUNCTIONS,
  type FunctionName,
  type FunctionSpec,
  type StreamMapping,
} from '../lambda/manifest/functions.js';
import { type SettingKey, type SettingsInput, withDefaults } from '../lambda/manifest/settings.js';

/**
 * What local mode runs, derived from the deployment manifest alone: each function with its typed settings, its
 * timeout and its triggers as local mode plays them. startLocal carries the plan out; a test compares it with the
 * synthesized template, setting by setting.
 */
export interface LocalFunctionPlan {
  readonly name: FunctionName;
  /** The function's name in its context and logs. */
  readonly localName: string;
  readonly timeoutMs: number;
  readonly memoryMb: number;
  /** The function's settings, checked and with defaults applied as its cold start would. */
  readonly config: FunctionConfig<FunctionName>;
  /** Route keys (`GET /events/{eventId}`) the HTTP front sends to it. */
  readonly routeKeys: readonly string[];
  /** The event source mapping its stream poller plays. */
  readonly mapping?: StreamMapping;
  /** How often its scheduler runs it. */
  readonly intervalMs?: number;
}

export interface LocalPlanInput {
  /** The values local mode gives the functions' settings; each function takes those its manifest entry lists. */
  readonly settings: SettingsInput<SettingKey>;
  /** Changes to every stream consumer's mapping (tests shorten windows and retries). */
  readonly mappingChanges?: Partial<StreamMapping>;
  /** Each scheduled function's interval instead of its manifest rate. */
  readonly intervalSeconds?: Partial<Record<FunctionName, number>>;
}

/**
 * A scheduled function whose settings name its interval (the digester's digestIntervalSeconds, docs/integrity.md)
 * runs at it: its schedule and its setting are one value, as in the stack.
 */
const scheduleSeconds = (config: Readonly<Record<string, unknown>>): number | undefined =>
  typeof config.digestIntervalSeconds === 'number' ? config.digestIntervalSeconds : undefined;

/** Whether a plan is the digester's: scheduled, and at its digestIntervalSeconds. */
export const isDigesterPlan = (plan: LocalFunctionPlan): boolean =>
  plan.intervalMs !== undefined &&
  scheduleSeconds(plan.config as Readonly<Record<string, unknown>>) !== undefined;

export function planLocalFunctions(input: LocalPlanInput): LocalFunctionPlan[] {
  return FUNCTION_NAMES.map((name) => {
    const spec: FunctionSpec = FUNCTIONS[name];
    const keys = spec.settings;
    const config = withDefaults(keys, Object.fromEntries(keys.map((key) => [key, input.settings[key]])));
    let plan: LocalFunctionPlan = {
      name,
      localName: spec.localName,
      timeoutMs: spec.timeoutSeconds * 1000,
      memoryMb: spec.memoryMb,
      config: config as FunctionConfig<FunctionName>,
      routeKeys: [],
    };
    for (const trigger of spec.triggers) {
      if (trigger.kind === 'http') {
        plan = { ...plan, routeKeys: trigger.routes.map((route) => routeKey(TRAIL_ROUTES[route])) };
      } else if (trigger.kind === 'stream') {
        plan = { ...plan, mapping: { ...trigger.mapping, ...input.mappingChanges } };
      } else {
        plan = {
          ...plan,
          intervalMs:
            (input.intervalSeconds?.[name] ?? scheduleSeconds(config) ?? trigger.rateMinutes * 60) * 1000,
        };
      }
    }
    return plan;
  });
}
