import { Stack } from 'aws-cdk-lib';
import { type Grant, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type LogGroupProps, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LOG_LINE_FORMATS, type LogLineFormat } from '../../lambda/core/pipeline.js';
import { defaultEventLogGroupProps } from '../defaults/logs.js';
import { definedProps } from '../props-merge.js';
import { throwIfInvalid } from '../props-validation.js';

export interface LogForwardingProps {
  /**
   * How long event lines are kept. Conflicts with `logGroupProps.retention`.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly retention?: RetentionDays;
  /**
   * Customer managed KMS key encrypting the log group. The construct adds the key policy statement CloudWatch Logs
   * needs to a key it can modify; an imported key's policy (or a key given as `logGroupProps.encryptionKey`) must
   * already allow the logs service principal. Conflicts with `logGroupProps.encryptionKey`.
   *
   * @default - CloudWatch Logs' own encryption
   */
  readonly encryptionKey?: IKey;
  /**
   * Overrides of the log group's defaults (name, class, removal policy, ...).
   *
   * @default - retained on stack deletion, kept one year
   */
  readonly logGroupProps?: LogGroupProps;
  /**
   * What each log line holds: `full`, the stored record byte for byte; or `summary`, the record without
   * requestParameters, responseElements, additionalEventData and serviceEventDetails (the archive keeps them),
   * about a quarter less CloudWatch Logs ingestion for typical events.
   *
   * @default 'full'
   */
  readonly logLine?: LogLineFormat;
}

/**
 * The dedicated CloudWatch Logs group that holds one JSON line per event, so metric filters such as
 * `{ $.errorCode = "AccessDenied" }` work (docs/pipeline.md). `grantForward` lets the log-forward function write
 * to it, and nothing else.
 */
export class LogForwarding extends Construct {
  public readonly logGroup: LogGroup;
  public readonly logLine: LogLineFormat;

  constructor(scope: Construct, id: string, props: LogForwardingProps = {}) {
    super(scope, id);
    throwIfInvalid('LogForwarding', logForwardingPropsProblems(props));
    this.logGroup = new LogGroup(this, 'EventLogGroup', {
      ...defaultEventLogGroupProps(props.encryptionKey),
      ...definedProps({ retention: props.retention }),
      ...definedProps(props.logGroupProps),
    });
    if (props.encryptionKey) allowLogsToUseKey(props.encryptionKey, this);
    this.logLine = props.logLine ?? 'full';
  }

  /** Lets the log-forward function create log streams in this group and put events into them; nothing else. */
  public grantForward(grantee: IGrantable): Grant {
    return this.logGroup.grantWrite(grantee);
  }
}

/** Every problem with `props`, one message each (undefined where a rule holds), for one error listing them all. */
export function logForwardingPropsProblems(props: LogForwardingProps): (string | undefined)[] {
  return [
    props.logLine !== undefined && !LOG_LINE_FORMATS.includes(props.logLine)
      ? `logLine must be one of ${LOG_LINE_FORMATS.join(', ')} (got ${props.logLine})`
      : undefined,
    props.retention !== undefined && props.logGroupProps?.retention !== undefined
      ? 'retention and logGroupProps.retention conflict: set only one'
      : undefined,
    props.encryptionKey && props.logGroupProps?.encryptionKey
      ? 'encryptionKey and logGroupProps.encryptionKey conflict: set only one'
      : undefined,
  ];
}

/**
 * The key policy statement CloudWatch Logs needs to encrypt log groups of this account and Region with the key
 * (CloudWatch Logs user guide, "Encrypt log data using AWS KMS"). A no-op for an imported key.
 */
export function allowLogsToUseKey(key: IKey, scope: Construct): void {
  const stack = Stack.of(scope);
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*`,
        },
      },
    }),
  );
}
