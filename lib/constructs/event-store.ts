import { AttributeType, StreamViewType, type TablePropsV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { CLAIM_PREFIX } from '../../lambda/core/keys.js';
import { LIMITS } from '../../lambda/core/limits.js';
import { TABLE_LAYOUT } from '../../lambda/core/table-layout.js';
import { defaultTableProps } from '../defaults/dynamodb.js';
import { definedProps } from '../props-merge.js';
import { integerRangeProblem, throwIfInvalid } from '../props-validation.js';

/**
 * Table settings that come from the shared layout or the pipeline, so a user cannot override them. The layout has
 * no secondary index, and none may be added: every lookup reads the table (docs/storage.md).
 */
type LayoutTableProp =
  | 'partitionKey'
  | 'sortKey'
  | 'timeToLiveAttribute'
  | 'globalSecondaryIndexes'
  | 'dynamoStream';

/** `TablePropsV2` without the settings the layout fixes. */
export type EventTableProps = Omit<TablePropsV2, LayoutTableProp>;

export interface EventStoreProps {
  /**
   * Days an event stays searchable before DynamoDB TTL removes it, 1 to 3650.
   *
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * Number of write shards each hot key is spread over, 1 to 32; readers merge the shards.
   *
   * @default 16
   */
  readonly writeShards?: number;
  /**
   * Customer managed KMS key that encrypts the table. Conflicts with `tableProps.encryption`.
   *
   * @default - the AWS managed key for DynamoDB (aws/dynamodb)
   */
  readonly encryptionKey?: IKey;
  /**
   * DynamoDB point-in-time recovery of the table: any second of the last 35 days, the events not yet archived and
   * the producer-id claims included. Off, the archive is the backup: `npm run rebuild` puts every archived event
   * back (docs/storage.md, "Point-in-time recovery and rebuilding from the archive"). Conflicts with
   * `tableProps.pointInTimeRecoverySpecification`.
   *
   * @default false
   */
  readonly pointInTimeRecovery?: boolean;
  /**
   * Overrides of the secure defaults (billing, deletion protection, removal policy, encryption, ...).
   * Keys, indexes, TTL attribute and stream are fixed by the shared table layout.
   *
   * @default - on-demand, no PITR (`pointInTimeRecovery`), deletion protection, RETAIN, AWS managed key
   */
  readonly tableProps?: EventTableProps;
}

const WRITE_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:PutItem', 'dynamodb:GetItem'];
/** Deletes on claim items only (the partition key's prefix): a put never deletes an event or a list. */
const RELEASE_CLAIM_ACTIONS = ['dynamodb:DeleteItem'];
const READ_ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:BatchGetItem'];
const QUERY_ACTIONS = ['dynamodb:Query'];
/**
 * The insights counter consumer merges into per-minute counters (read, then a put on the version read) and records
 * the keys it has seen (docs/insights.md).
 */
const COUNT_ACTIONS = ['dynamodb:BatchWriteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'];
/** The insights function reads counters and open insights, and writes insight events and its own state. */
const INSIGHTS_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:Query',
  'dynamodb:UpdateItem',
];
const KEY_READ_ACTIONS = ['kms:Decrypt', 'kms:DescribeKey'];
const KEY_WRITE_ACTIONS = [...KEY_READ_ACTIONS, 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

/**
 * The events table: one DynamoDB table laid out as `lambda/core/table-layout.ts` says, with secure defaults and a
 * NEW_IMAGE stream for the archive and log-forwarding pipeline.
 */
export class EventStore extends Construct {
  public readonly table: TableV2;
  public readonly retentionDays: number;
  public readonly writeShards: number;

  constructor(scope: Construct, id: string, props: EventStoreProps = {}) {
    super(scope, id);
    throwIfInvalid('EventStore', eventStorePropsProblems(props));
    this.retentionDays = props.retentionDays ?? LIMITS.retentionDays.default;
    this.writeShards = props.writeShards ?? LIMITS.writeShards.default;

    this.table = new TableV2(this, 'Table', {
      ...defaultTableProps(props.encryptionKey, { pointInTimeRecovery: props.pointInTimeRecovery ?? false }),
      ...definedProps(props.tableProps),
      ...layoutTableProps(),
    });
  }

  /**
   * Lets the ingest path put events, batch them, read one back to make a re-put idempotent, and delete the
   * producer-id claims of a failed attempt (claim items only).
   */
  public grantWriteEvents(grantee: IGrantable): Grant {
    const tableGrant = Grant.addToPrincipal({
      grantee,
      actions: WRITE_ACTIONS,
      resourceArns: [this.table.tableArn],
    }).combine(
      Grant.addToPrincipal({
        grantee,
        actions: RELEASE_CLAIM_ACTIONS,
        resourceArns: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${CLAIM_PREFIX}*`] } },
      }),
    );
    return this.withKeyGrant(tableGrant, grantee, KEY_WRITE_ACTIONS);
  }

  /** Lets a reader get events and query the table (it has no index: every lookup reads the table); never write. */
  public grantReadEvents(grantee: IGrantable): Grant {
    const itemGrant = Grant.addToPrincipal({
      grantee,
      actions: READ_ITEM_ACTIONS,
      resourceArns: [this.table.tableArn],
    });
    const queryGrant = Grant.addToPrincipal({
      grantee,
      actions: QUERY_ACTIONS,
      resourceArns: [this.table.tableArn],
    });
    return this.withKeyGrant(itemGrant.combine(queryGrant), grantee, KEY_READ_ACTIONS);
  }

  /**
   * Lets the insights counter consumer update per-minute counters and write the key catalog on the table; no
   * reads, no deletes, no indexes (docs/insights.md). The stream reads come with its event source mapping.
   */
  public grantCountEvents(grantee: IGrantable): Grant {
    const tableGrant = Grant.addToPrincipal({
      grantee,
      actions: COUNT_ACTIONS,
      resourceArns: [this.table.tableArn],
    });
    return this.withKeyGrant(tableGrant, grantee, KEY_WRITE_ACTIONS);
  }

  /**
   * Lets the insights function query and get counters and insight state, and put, batch write and update insight
   * events and state on the table; no deletes, no indexes (docs/insights.md).
   */
  public grantRunInsights(grantee: IGrantable): Grant {
    const tableGrant = Grant.addToPrincipal({
      grantee,
      actions: INSIGHTS_ACTIONS,
      resourceArns: [this.table.tableArn],
    });
    return this.withKeyGrant(tableGrant, grantee, KEY_WRITE_ACTIONS);
  }

  /** Adds the KMS permissions a customer managed key needs; the AWS managed key needs none. */
  private withKeyGrant(grant: Grant, grantee: IGrantable, keyActions: readonly string[]): Grant {
    const keyGrant = this.table.grantOnKey(grantee, ...keyActions).grant;
    return keyGrant ? grant.combine(keyGrant) : grant;
  }
}

/** Every problem with `props`, one message each (undefined where a rule holds), for one error listing them all. */
export function eventStorePropsProblems(props: EventStoreProps): (string | undefined)[] {
  return [
    // The same ranges the handlers check their configuration against.
    integerRangeProblem('retentionDays', props.retentionDays, LIMITS.retentionDays),
    integerRangeProblem('writeShards', props.writeShards, LIMITS.writeShards),
    props.encryptionKey && props.tableProps?.encryption
      ? 'encryptionKey and tableProps.encryption conflict: set only one'
      : undefined,
    props.pointInTimeRecovery !== undefined && props.tableProps?.pointInTimeRecoverySpecification
      ? 'pointInTimeRecovery and tableProps.pointInTimeRecoverySpecification conflict: set only one'
      : undefined,
  ];
}

function layoutTableProps(): Pick<TablePropsV2, LayoutTableProp> {
  return {
    partitionKey: { name: TABLE_LAYOUT.partitionKey, type: AttributeType.STRING },
    sortKey: { name: TABLE_LAYOUT.sortKey, type: AttributeType.STRING },
    timeToLiveAttribute: TABLE_LAYOUT.ttlAttribute,
    // The archive and log-forwarding consumers need only the new item.
    dynamoStream: StreamViewType.NEW_IMAGE,
  };
}
