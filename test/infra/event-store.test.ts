import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { TableClass, TableEncryptionV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idempotencyKey } from '../../lambda/core/keys.js';
import { TABLE_LAYOUT } from '../../lambda/core/table-layout.js';
import { EventStore } from '../../lib/constructs/event-store.js';
import {
  actionsOfRole,
  createTestApp,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
  unacknowledgedNagFindings,
} from './cdk-test-app.js';

const TABLE = 'AWS::DynamoDB::GlobalTable';
const WRITE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:DeleteItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
];

describe('EventStore', () => {
  const { app, cleanup } = createTestApp();
  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const defaultStore = new EventStore(defaultStack, 'EventStore');
  const writer = new Role(defaultStack, 'Writer', { assumedBy: new AccountRootPrincipal() });
  const reader = new Role(defaultStack, 'Reader', { assumedBy: new AccountRootPrincipal() });
  const counter = new Role(defaultStack, 'Counter', { assumedBy: new AccountRootPrincipal() });
  const detector = new Role(defaultStack, 'Detector', { assumedBy: new AccountRootPrincipal() });
  defaultStore.grantWriteEvents(writer);
  defaultStore.grantReadEvents(reader);
  defaultStore.grantCountEvents(counter);
  defaultStore.grantRunInsights(detector);

  const keyStack = new Stack(app, 'CustomerKey', { env: TEST_ENV });
  const key = new Key(keyStack, 'Key', { enableKeyRotation: true });
  const keyStore = new EventStore(keyStack, 'EventStore', {
    encryptionKey: key,
    // An undefined override must not erase a secure default.
    tableProps: { tableClass: TableClass.STANDARD_INFREQUENT_ACCESS, deletionProtection: undefined },
  });
  const keyWriter = new Role(keyStack, 'Writer', { assumedBy: new AccountRootPrincipal() });
  const keyReader = new Role(keyStack, 'Reader', { assumedBy: new AccountRootPrincipal() });
  const keyCounter = new Role(keyStack, 'Counter', { assumedBy: new AccountRootPrincipal() });
  keyStore.grantWriteEvents(keyWriter);
  keyStore.grantReadEvents(keyReader);
  keyStore.grantCountEvents(keyCounter);

  const pitrStack = new Stack(app, 'PointInTimeRecovery', { env: TEST_ENV });
  new EventStore(pitrStack, 'EventStore', { pointInTimeRecovery: true });

  let template: Template;
  let keyTemplate: Template;
  let pitrTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    keyTemplate = Template.fromStack(keyStack);
    pitrTemplate = Template.fromStack(pitrStack);
  });
  afterAll(cleanup);

  describe('secure defaults', () => {
    it('leaves point-in-time recovery off when defaults apply: the archive and npm run rebuild restore the table', () => {
      // Assess
      template.hasResourceProperties(TABLE, {
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } }),
        ],
      });
    });

    it('raises no cdk-nag finding about point-in-time recovery when it is off', () => {
      // Act: AwsSolutions-DDB3 reads AWS::DynamoDB::Table only; a TableV2 is a GlobalTable, so nothing to acknowledge.
      const findings = unacknowledgedNagFindings(defaultStore);

      // Assess
      expect(findings.filter(({ rule }) => rule.includes('DDB3') || rule.includes('PITR'))).toEqual([]);
      expect(findings).toEqual([]);
    });

    it('enables deletion protection when defaults apply', () => {
      // Assess
      template.hasResourceProperties(TABLE, {
        Replicas: [Match.objectLike({ DeletionProtectionEnabled: true })],
      });
    });

    it('retains the table on stack deletion and replacement when defaults apply', () => {
      // Assess
      template.hasResource(TABLE, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });

    it('bills on demand when defaults apply', () => {
      // Assess
      template.hasResourceProperties(TABLE, { BillingMode: 'PAY_PER_REQUEST' });
    });

    it('encrypts with the AWS managed KMS key when no key is given', () => {
      // Assess
      template.hasResourceProperties(TABLE, {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ SSESpecification: Match.absent() })],
      });
    });

    it('streams new images when the table is built', () => {
      // Assess
      template.hasResourceProperties(TABLE, { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    });

    it('expires items on the layout TTL attribute when the table is built', () => {
      // Assess
      template.hasResourceProperties(TABLE, {
        TimeToLiveSpecification: { AttributeName: TABLE_LAYOUT.ttlAttribute, Enabled: true },
      });
      expect(TABLE_LAYOUT.ttlAttribute).toBe('expiresAt');
    });

    it('keys the table on pk and sk strings when the table is built', () => {
      // Assess
      template.hasResourceProperties(TABLE, {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ]),
      });
    });

    it('creates no secondary index when the table is built (the layout has none: lookups read the table)', () => {
      // Prepare
      const tables = Object.values(template.findResources(TABLE));

      // Assess
      expect(tables).toHaveLength(1);
      expect(tables[0]?.Properties?.GlobalSecondaryIndexes).toBeUndefined();
      expect(tables[0]?.Properties?.AttributeDefinitions).toEqual([
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ]);
    });

    it('exposes 90 retention days and 16 write shards when defaults apply', () => {
      // Assess
      expect(defaultStore.retentionDays).toBe(90);
      expect(defaultStore.writeShards).toBe(16);
    });
  });

  describe('overrides', () => {
    it('encrypts with the customer key when encryptionKey is given', () => {
      // Prepare
      const keyRef = keyStack.resolve(key.keyArn);

      // Assess
      keyTemplate.hasResourceProperties(TABLE, {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [Match.objectLike({ SSESpecification: { KMSMasterKeyId: keyRef } })],
      });
    });

    it('applies tableProps over the defaults and keeps the others when tableProps sets some keys', () => {
      // Assess
      keyTemplate.hasResourceProperties(TABLE, {
        Replicas: [
          Match.objectLike({
            TableClass: 'STANDARD_INFREQUENT_ACCESS',
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
          }),
        ],
      });
    });

    it('enables point-in-time recovery when pointInTimeRecovery is true', () => {
      // Assess
      pitrTemplate.hasResourceProperties(TABLE, {
        Replicas: [
          Match.objectLike({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } }),
        ],
      });
    });

    it('refuses pointInTimeRecovery together with tableProps.pointInTimeRecoverySpecification', () => {
      // Act / Assess
      expect(
        () =>
          new EventStore(new Stack(app, 'PitrConflict', { env: TEST_ENV }), 'EventStore', {
            pointInTimeRecovery: false,
            tableProps: { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } },
          }),
      ).toThrow('pointInTimeRecovery and tableProps.pointInTimeRecoverySpecification conflict: set only one');
    });
  });

  describe('grants', () => {
    it('grants put, batch write and get on the table, and deletes of claim items only, when grantWriteEvents is called', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const tableArn = renderCfnString(defaultStack.resolve(defaultStore.table.tableArn));

      // Act
      const statements = statementsOfRole(resources, defaultStack.resolve(writer.roleName));

      // Assess
      expect(actionsOfRole(resources, defaultStack.resolve(writer.roleName))).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
      ]);
      expect(statements.map((statement) => renderCfnString(statement.Resource))).toEqual([
        tableArn,
        tableArn,
      ]);
      const deletes = statements.filter((statement) => statement.Action === 'dynamodb:DeleteItem');
      expect(deletes).toEqual([
        expect.objectContaining({
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['ID#*'] } },
        }),
      ]);
      expect(idempotencyKey('any').pk.startsWith('ID#')).toBe(true);
    });

    it('grants get, batch get and query on the table, no writes, when grantReadEvents is called', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const tableArn = renderCfnString(defaultStack.resolve(defaultStore.table.tableArn));

      // Act
      const statements = statementsOfRole(resources, defaultStack.resolve(reader.roleName));
      const actions = actionsOfRole(resources, defaultStack.resolve(reader.roleName));

      // Assess
      expect(actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:Query']);
      expect(actions).not.toEqual(expect.arrayContaining([expect.stringMatching(/Write|Put|Delete|Update/)]));
      // The table alone: there is no index to query.
      expect(statements.length).toBeGreaterThan(0);
      expect(statements.map((statement) => renderCfnString(statement.Resource))).toEqual(
        statements.map(() => tableArn),
      );
    });

    it('grants get, put and batch write on the table only, no queries, when grantCountEvents is called', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const tableArn = renderCfnString(defaultStack.resolve(defaultStore.table.tableArn));

      // Act
      const statements = statementsOfRole(resources, defaultStack.resolve(counter.roleName));

      // Assess
      expect(actionsOfRole(resources, defaultStack.resolve(counter.roleName))).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
      ]);
      expect(statements.map((statement) => renderCfnString(statement.Resource))).toEqual([tableArn]);
    });

    it('grants query, get, put, batch write and update on the table only, no deletes, when grantRunInsights is called', () => {
      // Prepare
      const resources = template.toJSON().Resources;
      const tableArn = renderCfnString(defaultStack.resolve(defaultStore.table.tableArn));

      // Act
      const statements = statementsOfRole(resources, defaultStack.resolve(detector.roleName));

      // Assess
      expect(actionsOfRole(resources, defaultStack.resolve(detector.roleName))).toEqual([
        'dynamodb:BatchWriteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
      expect(statements.map((statement) => renderCfnString(statement.Resource))).toEqual([tableArn]);
    });

    it('adds encrypt and decrypt on the customer key when grantCountEvents is called', () => {
      // Act
      const kmsActions = actionsOfRole(
        keyTemplate.toJSON().Resources,
        keyStack.resolve(keyCounter.roleName),
      ).filter((action) => action.startsWith('kms:'));

      // Assess
      expect(kmsActions).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']),
      );
    });

    it('adds encrypt and decrypt on the customer key when grantWriteEvents is called', () => {
      // Prepare
      const resources = keyTemplate.toJSON().Resources;

      // Act
      const actions = actionsOfRole(resources, keyStack.resolve(keyWriter.roleName));

      // Assess
      expect(actions).toEqual(
        expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'dynamodb:PutItem']),
      );
    });

    it('adds only decrypt and describe on the customer key when grantReadEvents is called', () => {
      // Prepare
      const resources = keyTemplate.toJSON().Resources;

      // Act
      const kmsActions = actionsOfRole(resources, keyStack.resolve(keyReader.roleName)).filter((action) =>
        action.startsWith('kms:'),
      );

      // Assess
      expect(kmsActions).toEqual(['kms:Decrypt', 'kms:DescribeKey']);
    });

    it('never grants a write action to a reader when the key is customer managed', () => {
      // Prepare
      const resources = keyTemplate.toJSON().Resources;

      // Act
      const actions = actionsOfRole(resources, keyStack.resolve(keyReader.roleName));

      // Assess
      for (const writeAction of WRITE_ACTIONS) expect(actions).not.toContain(writeAction);
    });
  });

  describe('validation', () => {
    // Stacks that are never synthesized, in an app of their own whose folder is removed afterwards.
    const validation = createTestApp();
    afterAll(validation.cleanup);

    it('throws one error naming every bad prop when several props are invalid', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Invalid', { env: TEST_ENV });
      const invalidKey = new Key(stack, 'Key');

      // Act
      const build = () =>
        new EventStore(stack, 'EventStore', {
          retentionDays: 0,
          writeShards: 33,
          encryptionKey: invalidKey,
          tableProps: { encryption: TableEncryptionV2.awsManagedKey() },
        });

      // Assess
      expect(build).toThrowError(
        /^Invalid EventStore props:\n- retentionDays .*\(got 0\)\n- writeShards .*\(got 33\)\n- encryptionKey and tableProps\.encryption conflict/,
      );
    });

    it('rejects a fractional retention when retentionDays is not an integer', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Fraction', { env: TEST_ENV });

      // Act
      const build = () => new EventStore(stack, 'EventStore', { retentionDays: 1.5 });

      // Assess
      expect(build).toThrowError('retentionDays must be an integer from 1 to 3650 (got 1.5)');
    });

    it('accepts the bounds when retentionDays and writeShards are at their limits', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Bounds', { env: TEST_ENV });

      // Act
      const build = () => {
        new EventStore(stack, 'Low', { retentionDays: 1, writeShards: 1 });
        new EventStore(stack, 'High', { retentionDays: 3650, writeShards: 32 });
      };

      // Assess
      expect(build).not.toThrow();
    });
  });
});
