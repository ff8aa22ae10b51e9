import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { throwIfInvalid } from './props-validation.js';
import { HIDDEN_TRAIL_ID, Trail } from './trail.js';
import { type TrailProps, type TrailResourceSettings, validateTrailProps } from './trail-config.js';

/** The stack takes the trail's configuration, with the topic and key also given by ARN (as context does). */
export interface OpenTrailStackProps extends StackProps, TrailProps, TrailResourceSettings {}

/**
 * The repository's own deployment: one Trail and its outputs. The Trail's hidden id keeps the logical IDs the
 * resources had before the Trail construct existed, so updating a deployed stack replaces nothing.
 */
export class OpenTrailStack extends Stack {
  public readonly trail: Trail;
  /** The key the stack created for `createEncryptionKey`; undefined otherwise. */
  public readonly encryptionKey?: Key;

  constructor(scope: Construct, id: string, props: OpenTrailStackProps = {}) {
    super(scope, id, props);
    // Checked here as well as in the Trail, so a bad ARN and a bad setting are reported in one error.
    throwIfInvalid('OpenTrail', validateTrailProps(props));
    const { alarmTopicArn, encryptionKeyArn, createEncryptionKey, ...trailProps } = props;
    this.encryptionKey = createEncryptionKey
      ? new Key(this, 'EncryptionKey', {
          description: 'OpenTrail: encrypts the events table, archive, logs, queues, bus and alarm topic',
          enableKeyRotation: true,
          removalPolicy:
            props.removalPolicy === RemovalPolicy.DESTROY ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        })
      : undefined;
    this.trail = new Trail(this, HIDDEN_TRAIL_ID, {
      ...trailProps,
      ...(alarmTopicArn ? { alarmTopic: Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn) } : {}),
      ...(encryptionKeyArn ? { encryptionKey: Key.fromKeyArn(this, 'EncryptionKey', encryptionKeyArn) } : {}),
      ...(this.encryptionKey ? { encryptionKey: this.encryptionKey } : {}),
    });
    this.addOutputs();
  }

  private addOutputs(): void {
    const { trail } = this;
    const outputs: Record<string, { value: string; description: string }> = {
      ApiUrl: { value: trail.apiUrl, description: 'Base URL of the OpenTrail API' },
      TrailArn: {
        value: trail.trailArn,
        description: "The trail's CloudTrail-style ARN (aws cloudtrail validate-logs --trail-arn)",
      },
      TableName: { value: trail.table.tableName, description: 'The events table' },
      ArchiveBucketName: { value: trail.bucket.bucketName, description: 'S3 bucket of the event archive' },
      DeliveryStreamName: {
        value: trail.archive.deliveryStream.deliveryStreamName,
        description: 'Firehose stream writing the archive',
      },
      EventLogGroupName: {
        value: trail.eventLogGroup.logGroupName,
        description: 'CloudWatch Logs group with one JSON line per event',
      },
      AthenaDatabase: {
        value: trail.athenaDatabase.databaseName,
        description: 'Glue database of the archive',
      },
      AthenaTable: { value: trail.athenaTable.ref, description: 'Raw archive table (events_raw)' },
      ArchiveDlqUrl: {
        value: trail.archiveConsumer.deadLetterQueue.queueUrl,
        description: 'Dead-letter queue of the archive stream consumer',
      },
      LogForwardDlqUrl: {
        value: trail.logForwardConsumer.deadLetterQueue.queueUrl,
        description: 'Dead-letter queue of the log-forward stream consumer',
      },
    };
    if (trail.integrity) {
      addOutput(outputs, 'DigestBucketName', {
        value: trail.integrity.digestBucket.bucketName,
        description: 'S3 bucket of the signed digests (CloudTrail log file validation)',
      });
    }
    if (trail.insights) {
      for (const [outputId, output] of Object.entries({
        EventBusName: {
          value: trail.insights.bus.eventBusName,
          description: 'EventBridge bus insight events are put on (source opentrail.insights)',
        },
        EventBusArn: { value: trail.insights.bus.eventBusArn, description: 'ARN of the insights bus' },
        InsightsCounterDlqUrl: {
          value: trail.insights.counterConsumer.deadLetterQueue.queueUrl,
          description: 'Dead-letter queue of the insights counter stream consumer',
        },
        InsightsDlqUrl: {
          value: trail.insights.deadLetterQueue.queueUrl,
          description: 'Dead-letter queue of insights runs that failed or could not be started',
        },
      })) {
        addOutput(outputs, outputId, output);
      }
    }
    for (const [outputId, [name, arn]] of uniqueOutputIds(
      Object.entries(trail.channelArns),
      'Channel',
      'Arn',
    )) {
      addOutput(outputs, outputId, { value: arn, description: `ARN of the PutAuditEvents channel ${name}` });
    }
    if (trail.alarmTopic) {
      addOutput(outputs, 'AlarmTopicArn', {
        value: trail.alarmTopic.topicArn,
        description: 'Topic every alarm notifies',
      });
    }
    if (trail.encryptionKey) {
      addOutput(outputs, 'EncryptionKeyArn', {
        value: trail.encryptionKey.keyArn,
        description: 'Customer managed key encrypting the trail',
      });
    }
    if (trail.dashboard) {
      addOutput(outputs, 'DashboardName', {
        value: trail.dashboard.dashboard.dashboardName,
        description: 'CloudWatch dashboard of the trail',
      });
    }
    if (trail.consoleSite) {
      const site = trail.consoleSite;
      for (const [outputId, output] of Object.entries({
        ConsoleUrl: {
          value: site.url,
          description: 'The investigator console (sign in with a Cognito user)',
        },
        ConsoleUserPoolId: {
          value: site.userPool.userPoolId,
          description: 'Cognito user pool of the console (aws cognito-idp admin-create-user)',
        },
        ConsoleUserPoolClientId: {
          value: site.userPoolClient.userPoolClientId,
          description: 'Cognito app client the console signs in with',
        },
        ConsoleIdentityPoolId: {
          value: site.identityPool.identityPoolId,
          description: 'Cognito identity pool whose signed-in role may only look up events',
        },
      })) {
        addOutput(outputs, outputId, output);
      }
    }
    for (const [id, output] of Object.entries(outputs)) new CfnOutput(this, id, output);
  }
}

/** Adds one output, refusing an ID already taken: two outputs under one ID would lose one silently. */
function addOutput<T>(outputs: Record<string, T>, outputId: string, output: T): void {
  if (Object.hasOwn(outputs, outputId)) throw new Error(`OpenTrail: two stack outputs are named ${outputId}`);
  outputs[outputId] = output;
}

/**
 * Output IDs for named things: `Channel<Name>Arn`, the name reduced to letters and digits. When that ID is
 * taken, the entry's position (from 1) is appended to the name, and raised until the ID is free: a numbered ID
 * can equal another name's own ID (`abc` and `abc3`).
 */
function uniqueOutputIds<T extends readonly [string, string]>(
  entries: readonly T[],
  prefix: string,
  suffix: string,
): [string, T][] {
  const seen = new Set<string>();
  return entries.map((entry, index) => {
    const [name] = entry;
    const base = `${prefix}${name.charAt(0).toUpperCase()}${name.slice(1)}`.replace(/[^A-Za-z0-9]/g, '');
    let id = `${base}${suffix}`;
    // Bounded: each try is a different ID and `seen` holds at most entries.length of them.
    for (let number = index + 1; seen.has(id); number += 1) id = `${base}${number}${suffix}`;
    seen.add(id);
    return [id, entry];
  });
}
