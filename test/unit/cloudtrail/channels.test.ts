import { describe, expect, it } from 'vitest';
import {
  type Channel,
  channelArn,
  checkChannelPrincipal,
  parseChannels,
  principalCovers,
  resolveChannel,
} from '../../../lambda/core/cloudtrail/channels.js';
import { PUT_AUDIT_EVENTS_PROTOCOL } from '../../../lambda/routes/protocols.js';
import { requestErrorOf } from '../../fixtures/request-error.js';

/** The error PutAuditEvents answers for what `run` throws, or 'none'. */
const channelErrorOf = (run: () => unknown): string => requestErrorOf(run, PUT_AUDIT_EVENTS_PROTOCOL);

const DEFAULT_ARN = channelArn('aws', 'us-east-1', '123456789012', 'default');
const AUDIT_ARN = channelArn('aws', 'us-east-1', '123456789012', 'audit.app');
const DEFAULT_CHANNEL: Channel = { name: 'default', arn: DEFAULT_ARN };
const AUDIT_CHANNEL: Channel = {
  name: 'audit.app',
  arn: AUDIT_ARN,
  principals: ['arn:aws:iam::123456789012:role/path/AuditWriter'],
};
const CHANNELS = [DEFAULT_CHANNEL, AUDIT_CHANNEL];

describe('resolveChannel', () => {
  it('finds a declared channel by ARN or by name', () => {
    // Assess
    expect(resolveChannel(AUDIT_ARN, CHANNELS)).toBe(AUDIT_CHANNEL);
    expect(resolveChannel('default', CHANNELS)).toBe(DEFAULT_CHANNEL);
  });

  it.each([
    [undefined, '400 InvalidChannelARN'],
    ['arn:aws:s3:::bucket', '400 InvalidChannelARN'],
    ['arn:aws:cloudtrail:us-east-1:123:channel/default', '400 InvalidChannelARN'],
    ['x', '400 InvalidChannelARN'],
    [channelArn('aws', 'us-east-1', '123456789012', 'other'), '400 ChannelNotFound'],
    [channelArn('aws', 'eu-west-1', '123456789012', 'default'), '400 ChannelNotFound'],
    ['other', '400 ChannelNotFound'],
  ])('refuses %s with %s', (requested, expected) => {
    // Assess
    expect(channelErrorOf(() => resolveChannel(requested, CHANNELS))).toBe(expected);
  });

  it('accepts any well-formed channel ARN when the trail declares no channels', () => {
    // Assess
    expect(resolveChannel(AUDIT_ARN, undefined)).toEqual({ arn: AUDIT_ARN });
  });
});

describe('channel principals', () => {
  it('admits the role, its sessions and the account root, and nobody else', () => {
    // Prepare
    const role = 'arn:aws:iam::123456789012:role/path/AuditWriter';

    // Assess
    expect(principalCovers(role, role)).toBe(true);
    expect(principalCovers(role, 'arn:aws:sts::123456789012:assumed-role/AuditWriter/session-1')).toBe(true);
    expect(principalCovers(role, 'arn:aws:sts::123456789012:assumed-role/Other/session-1')).toBe(false);
    expect(principalCovers(role, 'arn:aws:sts::999999999999:assumed-role/AuditWriter/s')).toBe(false);
    expect(principalCovers('arn:aws:iam::123456789012:root', 'arn:aws:iam::123456789012:user/alice')).toBe(
      true,
    );
    expect(principalCovers('arn:aws:iam::123456789012:root', 'arn:aws:iam::999999999999:user/alice')).toBe(
      false,
    );
  });

  it('answers 403 ChannelInsufficientPermission to a caller the channel does not list', () => {
    // Assess
    expect(
      channelErrorOf(() => checkChannelPrincipal(AUDIT_CHANNEL, 'arn:aws:iam::123456789012:user/bob')),
    ).toBe('403 ChannelInsufficientPermission');
    expect(
      channelErrorOf(() => checkChannelPrincipal(DEFAULT_CHANNEL, 'arn:aws:iam::123456789012:user/bob')),
    ).toBe('none');
  });
});

describe('parseChannels', () => {
  it('reads the declared channels and names every problem of a bad list', () => {
    // Assess
    expect(
      parseChannels(JSON.stringify([{ arn: DEFAULT_ARN }, { arn: AUDIT_ARN, principals: ['p'] }])),
    ).toEqual({
      channels: [
        { name: 'default', arn: DEFAULT_ARN },
        { name: 'audit.app', arn: AUDIT_ARN, principals: ['p'] },
      ],
      problems: [],
    });
    expect(parseChannels(`[{"arn": "nope"}, {"arn": "${DEFAULT_ARN}", "principals": "p"}]`).problems).toEqual(
      ['[0].arn must be a channel ARN', '[1].principals must be a list of IAM principal ARNs'],
    );
    expect(parseChannels('{').problems).toEqual(['is not JSON']);
  });
});
