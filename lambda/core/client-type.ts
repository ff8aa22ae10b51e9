import type { ClientType } from './event-model.js';

/** The fields client-type inference reads; a subset of the producer event. */
export interface ClientHints {
  readonly userAgent?: string | undefined;
  readonly eventType?: string | undefined;
  readonly userIdentity: { readonly type: string; readonly invokedBy?: string | undefined };
}

const CONSOLE_AGENTS =
  /(console\.amazonaws\.com|signin\.amazonaws\.com|console\.aws\.amazon\.com|^Mozilla\/)/i;
const CLI_AGENTS = /(^|\s|\/)(aws-cli|awscli|aws-shell|opentrail-cli)\//i;
const SDK_AGENTS =
  /(aws-sdk-|boto3|botocore|aws-internal\/|aws-cdk|terraform|pulumi|aws-powertools|smithy|APN\/1\.0 HashiCorp)/i;
const SERVICE_AGENTS = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com$|^AWS Internal$/i;

/**
 * The client type of each user agent seen lately: a producer's events repeat a few agents, so the patterns run on an
 * agent's first sight. Bounded: short agents only, and a capped count.
 */
const knownAgents = new Map<string, ClientType>();
const CACHED_AGENT_CHARS = 256;
const CACHED_AGENTS = 1_000;

/**
 * Which client made the call, from what CloudTrail records of it: services act through invokedBy or a service
 * principal; console, CLI and SDKs identify themselves in the user agent. Order matters: the CLI's user agent
 * also names botocore, and console sessions may carry SDK agents.
 */
export function inferClientType(hints: ClientHints): ClientType {
  if (hints.eventType === 'ConsoleAction' || hints.eventType === 'ConsoleSignIn') return 'console';
  if (hints.userIdentity.type === 'AWSService' || hints.userIdentity.invokedBy !== undefined)
    return 'service';
  const userAgent = hints.userAgent ?? '';
  let clientType = knownAgents.get(userAgent);
  if (clientType === undefined) {
    clientType = agentClientType(userAgent.trim());
    if (userAgent.length <= CACHED_AGENT_CHARS) {
      if (knownAgents.size >= CACHED_AGENTS) knownAgents.clear();
      knownAgents.set(userAgent, clientType);
    }
  }
  return clientType;
}

function agentClientType(agent: string): ClientType {
  if (agent === '') return 'other';
  // The console's own host names look like service principals: test for them first.
  if (CONSOLE_AGENTS.test(agent)) return 'console';
  if (SERVICE_AGENTS.test(agent)) return 'service';
  if (CLI_AGENTS.test(agent)) return 'cli';
  if (SDK_AGENTS.test(agent)) return 'sdk';
  return 'other';
}
