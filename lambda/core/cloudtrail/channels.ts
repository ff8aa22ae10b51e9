import { RequestError } from '../errors.js';
import { ASSUMED_ROLE_ARN } from '../iam-principal.js';

/**
 * Channels: the named sources a trail declares (CloudTrail Lake's channels for events from outside AWS).
 * PutAuditEvents names one by ARN, `arn:<partition>:cloudtrail:<region>:<account>:channel/<name>`, or by its
 * name alone (CloudTrail's "ARN suffix"). A channel may restrict which IAM principals put to it.
 */
export interface Channel {
  readonly name: string;
  readonly arn: string;
  /** IAM principal ARNs allowed to put to this channel; absent means any producer the API lets in. */
  readonly principals?: readonly string[];
}

/** CloudTrail's channel name rules (API Reference, Channel: 3 to 128 of letters, digits, `.`, `_`, `-`). */
export const CHANNEL_NAME_PATTERN = /^[a-zA-Z0-9._-]{3,128}$/;

export const DEFAULT_CHANNEL_NAME = 'default';

const CHANNEL_ARN_PATTERN = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):channel\/([^/]+)$/;

export function channelArn(partition: string, region: string, account: string, name: string): string {
  return `arn:${partition}:cloudtrail:${region}:${account}:channel/${name}`;
}

/** The channel's name, or undefined when the text is not a channel ARN OpenTrail could have issued. */
export function channelNameOf(arn: string): string | undefined {
  const name = CHANNEL_ARN_PATTERN.exec(arn)?.[4];
  return name !== undefined && CHANNEL_NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The channel a PutAuditEvents request names. Without configured channels every well-formed channel ARN is
 * accepted; with them, an unknown one is ChannelNotFound, which names only the channels `callerArn` may put to, so
 * a producer cannot learn what other principals' channels are called.
 */
export function resolveChannel(
  requested: string | undefined,
  channels: readonly Channel[] | undefined,
  callerArn?: string,
): Channel | { readonly arn: string } {
  if (requested === undefined || requested === '') {
    throw new RequestError('InvalidChannelArn', 'channelArn is required: the ARN of the channel to put to');
  }
  const isName = CHANNEL_NAME_PATTERN.test(requested) && !requested.startsWith('arn:');
  if (!isName && channelNameOf(requested) === undefined) {
    throw new RequestError(
      'InvalidChannelArn',
      `${JSON.stringify(requested)} is not a channel ARN (arn:<partition>:cloudtrail:<region>:<account>:channel/<name>)`,
    );
  }
  if (channels === undefined) return { arn: requested };
  const channel = channels.find((candidate) =>
    isName ? candidate.name === requested : candidate.arn === requested,
  );
  if (channel === undefined) {
    const usable = channels.filter((known) => admits(known, callerArn)).map((known) => known.arn);
    throw new RequestError(
      'ChannelNotFound',
      `no channel ${requested}; ${usable.length > 0 ? `you may put to ${usable.join(', ')}` : 'this trail has no channel you may put to'}`,
    );
  }
  return channel;
}

const ROLE_ARN = /^arn:([^:]+):iam::(\d{12}):role\/(?:[^/]+\/)*([^/]+)$/;
const ACCOUNT_ROOT_ARN = /^arn:([^:]+):iam::(\d{12}):root$/;
const CALLER_ACCOUNT = /^arn:([^:]+):(?:iam|sts)::(\d{12}):/;

/**
 * Whether an IAM principal named in a channel covers the caller API Gateway reports: the same ARN, a role whose
 * session the caller is, or the root of the caller's account (meaning every principal of it).
 */
export function principalCovers(principal: string, callerArn: string): boolean {
  if (principal === callerArn) return true;
  const role = ROLE_ARN.exec(principal);
  const session = ASSUMED_ROLE_ARN.exec(callerArn);
  if (role && session) return role[1] === session[1] && role[2] === session[2] && role[3] === session[3];
  const root = ACCOUNT_ROOT_ARN.exec(principal);
  const caller = CALLER_ACCOUNT.exec(callerArn);
  return root !== null && caller !== null && root[1] === caller[1] && root[2] === caller[2];
}

/** Whether the channel lets the caller put to it: it names no principals, or one that covers the caller. */
function admits(channel: Channel | { readonly arn: string }, callerArn: string | undefined): boolean {
  const principals = 'principals' in channel ? channel.principals : undefined;
  if (principals === undefined) return true;
  return callerArn !== undefined && principals.some((principal) => principalCovers(principal, callerArn));
}

/** Refuses a caller the channel does not admit. */
export function checkChannelPrincipal(
  channel: Channel | { readonly arn: string },
  callerArn: string | undefined,
) {
  if (admits(channel, callerArn)) return;
  throw new RequestError(
    'ChannelAccessDenied',
    `${callerArn ?? 'this caller'} may not put events to channel ${channel.arn}`,
  );
}

/**
 * Reads the channels the stack declares (TRAIL_ENV.channels: a JSON list of `{ arn, principals? }`).
 * Returns the problems instead of throwing, so configuration can report every problem at once.
 */
export function parseChannels(text: string): { channels?: Channel[]; problems: string[] } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problems: ['is not JSON'] };
  }
  if (!Array.isArray(parsed) || parsed.length === 0) return { problems: ['must be a non-empty JSON list'] };
  const problems: string[] = [];
  const channels: Channel[] = [];
  parsed.forEach((entry: unknown, index) => {
    const { arn, principals } = (entry ?? {}) as { arn?: unknown; principals?: unknown };
    const name = typeof arn === 'string' ? channelNameOf(arn) : undefined;
    if (typeof arn !== 'string' || name === undefined) {
      problems.push(`[${index}].arn must be a channel ARN`);
      return;
    }
    if (
      principals !== undefined &&
      !(Array.isArray(principals) && principals.every((principal) => typeof principal === 'string'))
    ) {
      problems.push(`[${index}].principals must be a list of IAM principal ARNs`);
      return;
    }
    if (channels.some((channel) => channel.name === name))
      problems.push(`[${index}] repeats channel ${name}`);
    channels.push({ name, arn, ...(principals === undefined ? {} : { principals: principals as string[] }) });
  });
  return problems.length > 0 ? { problems } : { channels, problems };
}
