import { type Channel, parseChannels } from '../core/cloudtrail/channels.js';
import { TRAIL_ENV } from '../core/environment.js';
import { LIMITS } from '../core/limits.js';

/** Everything a function reads from its environment, read once per container; a bad value stops the cold start. */
export interface TrailConfig {
  readonly tableName: string;
  readonly region: string;
  readonly retentionDays: number;
  readonly writeShards: number;
  /** recipientAccountId for events that do not name one; defaults to the API's own account. */
  readonly accountId?: string;
  /** The channels PutAuditEvents accepts; without them any well-formed channel ARN is accepted. */
  readonly channels?: readonly Channel[];
}

function integerInRange(
  name: string,
  text: string | undefined,
  range: { min: number; max: number; default: number },
) {
  if (text === undefined || text === '') return { value: range.default };
  const value = Number(text);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    return { problem: `${name} must be a whole number from ${range.min} to ${range.max} (got "${text}")` };
  }
  return { value };
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): TrailConfig {
  const problems: string[] = [];
  const tableName = env[TRAIL_ENV.tableName] ?? '';
  if (tableName === '') problems.push(`${TRAIL_ENV.tableName} is not set`);
  const retention = integerInRange(
    'OPENTRAIL_RETENTION_DAYS',
    env.OPENTRAIL_RETENTION_DAYS,
    LIMITS.retentionDays,
  );
  const shards = integerInRange(TRAIL_ENV.writeShards, env[TRAIL_ENV.writeShards], LIMITS.writeShards);
  for (const checked of [retention, shards]) if (checked.problem) problems.push(checked.problem);
  const accountId = env[TRAIL_ENV.accountId];
  if (accountId !== undefined && !/^\d{12}$/.test(accountId))
    problems.push(`${TRAIL_ENV.accountId} must be 12 digits`);
  const channelsText = env[TRAIL_ENV.channels];
  const channels = channelsText === undefined ? undefined : parseChannels(channelsText);
  for (const problem of channels?.problems ?? []) problems.push(`${TRAIL_ENV.channels} ${problem}`);
  if (problems.length > 0) throw new Error(`OpenTrail configuration is invalid: ${problems.join('; ')}`);
  return {
    tableName,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    retentionDays: retention.value ?? LIMITS.retentionDays.default,
    writeShards: shards.value ?? LIMITS.writeShards.default,
    ...(accountId === undefined ? {} : { accountId }),
    ...(channels?.channels === undefined ? {} : { channels: channels.channels }),
  };
}

/** A setting a function cannot start without; a missing one stops the cold start with its name. */
export function requiredSetting(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`OpenTrail configuration is invalid: ${name} is not set`);
  return value;
}
