/**
 * The trail's CloudTrail identity: its name, under CloudTrail's rules, and its ARN
 * `arn:<partition>:cloudtrail:<region>:<account>:trail/<name>`. The control-plane reads, local mode and the stack
 * output take both from here, so `aws cloudtrail validate-logs --trail-arn` matches DescribeTrails' TrailARN exactly.
 */

/** The trail's name when its deployment gives none (local mode, and a lookup function built without one). */
export const DEFAULT_TRAIL_NAME = 'opentrail';

/**
 * CloudTrail's trail names (botocore's CloudTrail model, InvalidTrailNameException): 3 to 128 ASCII letters,
 * digits, `.`, `_` or `-`, starting and ending with a letter or digit, no two of `._-` in a row.
 */
export const TRAIL_NAME_PATTERN = /^(?=.{3,128}$)[A-Za-z0-9](?:[A-Za-z0-9]|[._-](?=[A-Za-z0-9]))*$/;

/** ...and not an IP address (the same model text). */
const IP_ADDRESS = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/** What is wrong with a trail name, in CloudTrail's terms, or undefined when it is a valid name. */
export function trailNameProblem(name: string): string | undefined {
  if (TRAIL_NAME_PATTERN.test(name) && !IP_ADDRESS.test(name)) return undefined;
  return (
    `${JSON.stringify(name.slice(0, 200))} is not a valid trail name: use 3 to 128 letters, digits, ".", "_" or "-", ` +
    'starting and ending with a letter or digit, with no two of "._-" in a row and not in IP address format'
  );
}

/**
 * The AWS partition of a region, from the region patterns of botocore's partitions.json; a region no pattern names
 * is in `aws`, as the SDKs assume.
 */
const PARTITIONS: ReadonlyArray<readonly [partition: string, regions: RegExp]> = [
  ['aws-cn', /^cn-\w+-\d+$/],
  ['aws-us-gov', /^us-gov-\w+-\d+$/],
  ['aws-iso', /^us-iso-\w+-\d+$/],
  ['aws-iso-b', /^us-isob-\w+-\d+$/],
  ['aws-iso-e', /^eu-isoe-\w+-\d+$/],
  ['aws-iso-f', /^us-isof-\w+-\d+$/],
  ['aws-eusc', /^eusc-de-\w+-\d+$/],
];

export function partitionOf(region: string): string {
  return PARTITIONS.find(([, regions]) => regions.test(region))?.[0] ?? 'aws';
}

export interface TrailArnParts {
  readonly region: string;
  readonly account: string;
  readonly name: string;
  /** @default the region's partition (partitionOf); the stack passes its own, an `AWS::Partition` token for an unknown region */
  readonly partition?: string;
}

export function trailArn({ region, account, name, partition = partitionOf(region) }: TrailArnParts): string {
  return `arn:${partition}:cloudtrail:${region}:${account}:trail/${name}`;
}

const TRAIL_ARN = /^arn:(aws[a-z-]*):cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

/** The parts of a trail ARN, or undefined when the text is not one (its name is not checked here). */
export function parseTrailArn(text: string): Required<TrailArnParts> | undefined {
  const match = TRAIL_ARN.exec(text);
  if (match === null) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = match;
  return { partition, region, account, name };
}
