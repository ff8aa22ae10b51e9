import { describe, expect, it } from 'vitest';
import {
  parseTrailArn,
  partitionOf,
  trailArn,
  trailNameProblem,
} from '../../../lambda/core/cloudtrail/trail-arn.js';

describe('trailArn', () => {
  it.each([
    ['us-east-1', 'arn:aws:cloudtrail:us-east-1:111122223333:trail/audit'],
    ['eu-west-1', 'arn:aws:cloudtrail:eu-west-1:111122223333:trail/audit'],
    ['cn-north-1', 'arn:aws-cn:cloudtrail:cn-north-1:111122223333:trail/audit'],
    ['us-gov-west-1', 'arn:aws-us-gov:cloudtrail:us-gov-west-1:111122223333:trail/audit'],
    ['us-iso-east-1', 'arn:aws-iso:cloudtrail:us-iso-east-1:111122223333:trail/audit'],
    ['us-isob-east-1', 'arn:aws-iso-b:cloudtrail:us-isob-east-1:111122223333:trail/audit'],
    ['eusc-de-east-1', 'arn:aws-eusc:cloudtrail:eusc-de-east-1:111122223333:trail/audit'],
  ])('takes the partition from the region %s', (region, expected) => {
    // Act
    const arn = trailArn({ region, account: '111122223333', name: 'audit' });

    // Assess
    expect(arn).toBe(expected);
  });

  it('uses the partition it is given, as the stack gives its AWS::Partition token', () => {
    // Act
    const arn = trailArn({ partition: 'aws-token', region: 'r', account: 'a', name: 'n' });

    // Assess
    expect(arn).toBe('arn:aws-token:cloudtrail:r:a:trail/n');
  });

  it('round-trips through parseTrailArn', () => {
    // Prepare
    const arn = trailArn({ region: 'us-gov-east-1', account: '123456789012', name: 'my.trail' });

    // Act
    const parts = parseTrailArn(arn);

    // Assess
    expect(parts).toEqual({
      partition: 'aws-us-gov',
      region: 'us-gov-east-1',
      account: '123456789012',
      name: 'my.trail',
    });
    expect(partitionOf('mars-north-1')).toBe('aws');
  });

  it.each([
    'arn:aws:cloudtrail:us-east-1:1234:trail/short-account',
    'arn:aws:s3:::bucket',
    'arn:aws:cloudtrail:us-east-1:123456789012:channel/default',
    'arn:aws:cloudtrail:us-east-1:123456789012:trail/',
  ])('parses %s as no trail ARN', (text) => {
    // Act & Assess
    expect(parseTrailArn(text)).toBeUndefined();
  });
});

describe('trailNameProblem', () => {
  it.each(['abc', 'My_Trail-1.prod', 'a'.repeat(128), '1trail9'])('accepts %s', (name) => {
    // Act & Assess
    expect(trailNameProblem(name)).toBeUndefined();
  });

  it.each([
    'ab',
    'a'.repeat(129),
    '-trail',
    'trail_',
    'my-_trail',
    'my--trail',
    'my trail',
    'träil',
    '192.168.5.4',
  ])('refuses %s with the rules', (name) => {
    // Act
    const problem = trailNameProblem(name);

    // Assess
    expect(problem).toMatch(/is not a valid trail name: use 3 to 128 letters/);
  });
});
