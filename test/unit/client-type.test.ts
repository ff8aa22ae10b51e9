import { describe, expect, it } from 'vitest';
import { inferClientType } from '../../lambda/core/client-type.js';

const user = { type: 'IAMUser' };

describe('inferClientType', () => {
  it.each([
    ['aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 prompt/off command/s3.ls', 'cli'],
    ['aws-cli/1.29.0 Python/3.8 botocore/1.31.0', 'cli'],
    ['aws-sdk-js/3.600.0 ua/2.0 os/linux lang/js md/nodejs#20', 'sdk'],
    ['Boto3/1.34.0 md/Botocore#1.34.0 ua/2.0 os/linux', 'sdk'],
    ['aws-sdk-java/2.20.0 Linux/5.10', 'sdk'],
    ['console.amazonaws.com', 'console'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15', 'console'],
    ['lambda.amazonaws.com', 'service'],
    ['AWS Internal', 'service'],
    ['curl/8.4.0', 'other'],
    ['', 'other'],
  ])('classifies user agent %j as %s', (userAgent, expected) => {
    expect(inferClientType({ userAgent, userIdentity: user })).toBe(expected);
  });

  it('classifies a call made on a user’s behalf by a service as service, whatever the agent', () => {
    expect(
      inferClientType({
        userAgent: 'aws-sdk-js/3',
        userIdentity: { ...user, invokedBy: 'ec2.amazonaws.com' },
      }),
    ).toBe('service');
    expect(inferClientType({ userIdentity: { type: 'AWSService' } })).toBe('service');
  });

  it('classifies console event types as console', () => {
    expect(inferClientType({ eventType: 'ConsoleSignIn', userIdentity: user })).toBe('console');
  });
});
