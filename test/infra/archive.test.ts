import { type CfnResource, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { AccountRootPrincipal, Role } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { BucketEncryption } from 'aws-cdk-lib/aws-s3';
import Type from 'typebox';
import { Value } from 'typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trailRecordSchema } from '../../lambda/core/event-model.js';
import { ARCHIVE_COLUMNS, hiveType, RAW_TABLE_NAME } from '../../lib/archive-table.js';
import { ATHENA_QUERIES } from '../../lib/athena-queries.js';
import { Archive, defaultDatabaseName } from '../../lib/constructs/archive.js';
import {
  actionsOfRole,
  createTestApp,
  isRecord,
  logicalIdOf,
  propertiesOf,
  renderCfnString,
  statementsOfRole,
  TEST_ENV,
  unacknowledgedNagFindings,
} from './cdk-test-app.js';

const BUCKET = 'AWS::S3::Bucket';

/** A Hive type read back from its text: the fields of a struct, the element of an array, or a scalar name. */
type HiveType =
  | { readonly kind: 'struct'; readonly fields: ReadonlyMap<string, HiveType> }
  | { readonly kind: 'array'; readonly element: HiveType }
  | { readonly kind: 'scalar'; readonly name: string };

/** Splits `a:x,b:struct<c:y,d:z>` at the commas outside angle brackets. */
function topLevelParts(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '<') depth++;
    else if (text[i] === '>') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  return [...parts, text.slice(start)];
}

function parseHiveType(text: string): HiveType {
  if (text.startsWith('struct<') && text.endsWith('>')) {
    const fields = topLevelParts(text.slice('struct<'.length, -1)).map((part): [string, HiveType] => {
      const colon = part.indexOf(':');
      return [part.slice(0, colon), parseHiveType(part.slice(colon + 1))];
    });
    return { kind: 'struct', fields: new Map(fields) };
  }
  if (text.startsWith('array<') && text.endsWith('>')) {
    return { kind: 'array', element: parseHiveType(text.slice('array<'.length, -1)) };
  }
  return { kind: 'scalar', name: text };
}

/**
 * The paths of a JSON value that its Hive type does not hold: a missing column or struct field, a boolean in a
 * non-boolean column, an object where a struct or string (JSON text) is not declared.
 */
function uncoveredPaths(path: string, value: unknown, type: HiveType | undefined): string[] {
  if (type === undefined) return [path];
  if (type.kind === 'array') {
    return Array.isArray(value)
      ? value.flatMap((item, i) => uncoveredPaths(`${path}[${i}]`, item, type.element))
      : [path];
  }
  if (type.kind === 'struct') {
    return isRecord(value)
      ? Object.entries(value).flatMap(([key, child]) =>
          uncoveredPaths(`${path}.${key}`, child, type.fields.get(key.toLowerCase())),
        )
      : [path];
  }
  // JSON text holds any object; scalars need their own type.
  if (type.name === 'string') return typeof value === 'boolean' ? [path] : [];
  return typeof value === type.name ? [] : [path];
}

/** A stored record with every field the record schema allows set, nested ones included. */
function completeRecord(): Record<string, unknown> {
  return {
    eventVersion: '1.11',
    eventTime: '2026-11-24T10:00:00Z',
    eventSource: 'orders.example.com',
    eventName: 'CreateOrder',
    awsRegion: 'eu-west-1',
    sourceIPAddress: '192.0.2.10',
    userAgent: 'aws-cli/2.15.0',
    userIdentity: {
      type: 'IAMUser',
      principalId: 'AIDAEXAMPLE',
      arn: 'arn:aws:iam::123456789012:user/alice',
      accountId: '123456789012',
      accessKeyId: 'AKIAEXAMPLE',
      userName: 'alice',
      invokedBy: 'orders.example.com',
      sessionContext: { attributes: { mfaAuthenticated: 'true' } },
    },
    requestParameters: { orderId: 'o-1', password: '***REDACTED***' },
    responseElements: null,
    additionalEventData: { note: 'x' },
    errorCode: 'AccessDenied',
    errorMessage: 'denied',
    requestID: 'req-1',
    eventID: '01JDQ0ZJ8T4W5X6Y7Z8A9B0C1D',
    eventType: 'ApiCall',
    readOnly: false,
    managementEvent: true,
    resources: [
      { ARN: 'arn:aws:orders:eu-west-1:123456789012:order/o-1', accountId: '123456789012', type: 'Order' },
    ],
    recipientAccountId: '123456789012',
    sharedEventID: 'shared-1',
    eventCategory: 'Management',
    clientType: 'cli',
    tlsDetails: {
      tlsVersion: 'TLSv1.3',
      cipherSuite: 'TLS_AES_128_GCM_SHA256',
      clientProvidedHostHeader: 'api.example.com',
    },
    vpcEndpointId: 'vpce-1',
    vpcEndpointAccountId: '123456789012',
    apiVersion: '2026-01-01',
    sessionCredentialFromConsole: 'true',
    serviceEventDetails: { detail: 1 },
    addendum: { reason: 'late' },
    edgeDeviceDetails: { device: 'edge-1' },
    sourceEventVersion: '3',
    insightDetails: { state: 'Start' },
    ingestion: {
      receivedAt: '2026-11-24T10:00:01Z',
      id: 'producer-id-1',
      producerArn: 'arn:aws:iam::123456789012:role/producer',
      channelArn: 'arn:aws:cloudtrail:eu-west-1:123456789012:channel/default',
      externalId: 'ext-1',
      redactedFields: ['requestParameters.password'],
    },
  };
}
const STREAM = 'AWS::KinesisFirehose::DeliveryStream';

describe('Archive', () => {
  const { app, cleanup } = createTestApp();

  const defaultStack = new Stack(app, 'Defaults', { env: TEST_ENV });
  const archive = new Archive(defaultStack, 'Archive');
  const producer = new Role(defaultStack, 'Producer', { assumedBy: new AccountRootPrincipal() });
  archive.grantPutRecords(producer);

  const overrideStack = new Stack(app, 'Overrides', { env: TEST_ENV });
  const key = new Key(overrideStack, 'Key', { enableKeyRotation: true });
  const locked = new Archive(overrideStack, 'Locked', {
    encryptionKey: key,
    objectLockRetentionDays: 365,
    objectLockMode: 'COMPLIANCE',
    infrequentAccessAfterDays: 60,
    glacierInstantRetrievalAfterDays: 180,
    expirationDays: 3650,
    serverAccessLogs: false,
    bufferingInterval: Duration.seconds(300),
    bufferingSize: Size.mebibytes(128),
    firstPartitionYear: 2024,
    lastPartitionYear: 2050,
    databaseName: 'audit_trail',
    workGroup: 'opentrail',
    // An undefined override must not erase a secure default.
    bucketProps: { versioned: undefined, transferAcceleration: true },
  });
  const governance = new Archive(overrideStack, 'Governance', {
    objectLockRetentionDays: 30,
    databaseName: 'governance_trail',
    athenaQueries: false,
  });

  let template: Template;
  let overrideTemplate: Template;
  beforeAll(() => {
    template = Template.fromStack(defaultStack);
    overrideTemplate = Template.fromStack(overrideStack);
  });
  afterAll(cleanup);

  const bucketId = (stack: Stack, target: Archive) => logicalIdOf(stack, target.bucket.bucketName);
  const bucketProps = () => propertiesOf(template, bucketId(defaultStack, archive));
  const lockedBucketProps = () => propertiesOf(overrideTemplate, bucketId(overrideStack, locked));
  const streamProps = (tmpl: Template, stack: Stack, target: Archive) =>
    propertiesOf(tmpl, logicalIdOf(stack, target.deliveryStream.deliveryStreamName));
  const s3Destination = (tmpl: Template, stack: Stack, target: Archive) => {
    const destination = streamProps(tmpl, stack, target).ExtendedS3DestinationConfiguration;
    if (!isRecord(destination)) throw new Error('the stream has no S3 destination');
    return destination;
  };

  describe('bucket secure defaults', () => {
    it('blocks every kind of public access when defaults apply', () => {
      // Assess
      expect(bucketProps().PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    });

    it('denies every request without TLS on the bucket and its objects when defaults apply', () => {
      // Prepare
      const arn = `\${${bucketId(defaultStack, archive)}.Arn}`;
      const resource = new Capture();

      // Act
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: bucketId(defaultStack, archive) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            {
              Effect: 'Deny',
              Principal: { AWS: '*' },
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              Resource: resource,
            },
          ]),
        },
      });

      // Assess
      expect(resource.asArray().map(renderCfnString)).toEqual([arn, `${arn}/*`]);
    });

    it('versions objects, encrypts with S3-managed keys and retains the bucket when defaults apply', () => {
      // Assess
      expect(bucketProps()).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
      });
      template.hasResource(BUCKET, {
        Properties: Match.objectLike({ VersioningConfiguration: { Status: 'Enabled' } }),
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    });

    it('moves objects to Standard-IA after 90 days and Glacier IR after 365, never expiring, when defaults apply', () => {
      // Assess
      expect(bucketProps().LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'ArchiveStorageClasses',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 90 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 365 },
            ],
          },
        ],
      });
    });

    it('leaves Object Lock off when objectLockRetentionDays is not set', () => {
      // Assess
      expect(bucketProps()).not.toHaveProperty('ObjectLockEnabled');
      expect(bucketProps()).not.toHaveProperty('ObjectLockConfiguration');
    });

    it('logs server access to a private, TLS-only access log bucket kept 365 days when defaults apply', () => {
      // Prepare
      const logsBucket = archive.accessLogsBucket;
      if (!logsBucket) throw new Error('no access log bucket');
      const logsBucketId = logicalIdOf(defaultStack, logsBucket.bucketName);

      // Assess
      expect(bucketProps().LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: logsBucketId },
        LogFilePrefix: 'opentrail-archive/',
      });
      expect(propertiesOf(template, logsBucketId)).toMatchObject({
        PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 365, Status: 'Enabled' }] },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: logsBucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'logging.s3.amazonaws.com' } }),
          ]),
        },
      });
    });
  });

  describe('delivery stream', () => {
    it('gzips into hourly events/ prefixes and errors/ by error type when defaults apply', () => {
      // Act
      const destination = s3Destination(template, defaultStack, archive);

      // Assess
      expect(destination).toMatchObject({
        CompressionFormat: 'GZIP',
        Prefix: 'events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/!{timestamp:HH}/',
        ErrorOutputPrefix:
          'errors/!{firehose:error-output-type}/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/',
        BucketARN: { 'Fn::GetAtt': [bucketId(defaultStack, archive), 'Arn'] },
      });
    });

    it('buffers at most 60 seconds or 64 MiB when defaults apply', () => {
      // Assess
      expect(s3Destination(template, defaultStack, archive).BufferingHints).toEqual({
        IntervalInSeconds: 60,
        SizeInMBs: 64,
      });
    });

    it('encrypts the stream with an AWS owned key and takes direct puts when defaults apply', () => {
      // Assess
      expect(streamProps(template, defaultStack, archive)).toMatchObject({
        DeliveryStreamType: 'DirectPut',
        DeliveryStreamEncryptionConfigurationInput: { KeyType: 'AWS_OWNED_CMK' },
      });
    });

    it('logs delivery errors to a log group kept one month when defaults apply', () => {
      // Prepare
      const logging = s3Destination(template, defaultStack, archive).CloudWatchLoggingOptions;
      if (!isRecord(logging) || !isRecord(logging.LogGroupName)) throw new Error('no delivery logging');

      // Assess
      expect(logging.Enabled).toBe(true);
      expect(propertiesOf(template, String(logging.LogGroupName.Ref))).toEqual({ RetentionInDays: 30 });
    });

    it('lets only Firehose, for this account, assume the delivery role when defaults apply', () => {
      // Assess
      expect(propertiesOf(template, logicalIdOf(defaultStack, archive.deliveryRole.roleName))).toMatchObject({
        AssumeRolePolicyDocument: {
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'firehose.amazonaws.com' },
              Condition: { StringEquals: { 'sts:ExternalId': TEST_ENV.account } },
            },
          ],
        },
      });
    });

    it('scopes the delivery role S3 actions to this bucket and its two prefixes, without deletes, when built', () => {
      // Prepare
      const arn = `\${${bucketId(defaultStack, archive)}.Arn}`;
      const resources = template.toJSON().Resources;
      const roleRef = defaultStack.resolve(archive.deliveryRole.roleName);

      // Act
      const s3Statements = statementsOfRole(resources, roleRef).filter((statement) =>
        JSON.stringify(statement.Action).includes('s3:'),
      );
      const s3Resources = s3Statements.flatMap((statement) =>
        (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(renderCfnString),
      );

      // Assess
      expect(s3Statements.map((statement) => statement.Action)).toEqual([
        ['s3:GetBucketLocation', 's3:ListBucket', 's3:ListBucketMultipartUploads'],
        ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject'],
      ]);
      expect(s3Resources.sort()).toEqual([arn, `${arn}/errors/*`, `${arn}/events/*`]);
      expect(s3Resources).not.toContain('*');
      expect(
        actionsOfRole(resources, roleRef).filter((action) => /Delete|PutObjectRetention/.test(action)),
      ).toEqual([]);
    });

    it('lets the delivery role put log events into its error log group only when built', () => {
      // Prepare
      const logging = s3Destination(template, defaultStack, archive).CloudWatchLoggingOptions;
      const logGroupId =
        isRecord(logging) && isRecord(logging.LogGroupName) ? logging.LogGroupName.Ref : undefined;

      // Act
      const logStatements = statementsOfRole(
        template.toJSON().Resources,
        defaultStack.resolve(archive.deliveryRole.roleName),
      ).filter((statement) => JSON.stringify(statement.Action).includes('logs:'));

      // Assess
      expect(logStatements).toEqual([
        { Action: 'logs:PutLogEvents', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
      ]);
    });

    it('creates the stream after the delivery policy when built', () => {
      // Prepare
      const policyId = defaultStack.getLogicalId(
        archive.node.findChild('DeliveryPolicy').node.defaultChild as CfnResource,
      );

      // Assess
      template.hasResource(STREAM, { DependsOn: Match.arrayWith([policyId]) });
    });
  });

  describe('Glue table and Athena queries', () => {
    const tableInput = (tmpl: Template, stack: Stack, target: Archive) => {
      const input = propertiesOf(tmpl, stack.getLogicalId(target.table)).TableInput;
      if (!isRecord(input)) throw new Error('no TableInput');
      return input;
    };

    it('names the database after the stack in lower case when databaseName is not set', () => {
      // Assess
      template.hasResourceProperties('AWS::Glue::Database', {
        CatalogId: TEST_ENV.account,
        DatabaseInput: Match.objectLike({ Name: 'defaults' }),
      });
      expect(defaultDatabaseName('OpenTrail-Prod.eu')).toBe('opentrail_prod_eu');
    });

    it('declares events_raw over s3://bucket/events/ with every record column when built', () => {
      // Prepare
      const bucketRef = `\${${bucketId(defaultStack, archive)}}`;

      // Act
      const input = tableInput(template, defaultStack, archive);

      // Assess
      expect(input).toMatchObject({ Name: RAW_TABLE_NAME, TableType: 'EXTERNAL_TABLE' });
      expect(input.StorageDescriptor).toMatchObject({
        InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
        OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
        Compressed: true,
        Columns: ARCHIVE_COLUMNS.map(({ name, type }) => ({ Name: name, Type: type })),
      });
      expect(isRecord(input.StorageDescriptor) && renderCfnString(input.StorageDescriptor.Location)).toBe(
        `s3://${bucketRef}/events/`,
      );
    });

    it('types the nested record fields as structs and arrays when built', () => {
      // Act
      const descriptor = tableInput(template, defaultStack, archive).StorageDescriptor;
      const columns = isRecord(descriptor) && Array.isArray(descriptor.Columns) ? descriptor.Columns : [];
      const typeOf = new Map(columns.filter(isRecord).map((column) => [column.Name, column.Type]));

      // Assess
      expect(typeOf.size).toBe(Object.keys(trailRecordSchema.properties).length);
      expect(typeOf.get('useridentity')).toBe(
        'struct<type:string,principalid:string,arn:string,accountid:string,accesskeyid:string,username:string,' +
          'invokedby:string,sessioncontext:string>',
      );
      expect(typeOf.get('resources')).toBe('array<struct<arn:string,accountid:string,type:string>>');
      expect(typeOf.get('ingestion')).toBe(
        'struct<receivedat:string,id:string,producerarn:string,channelarn:string,externalid:string,' +
          'redactedfields:array<string>>',
      );
      expect(typeOf.get('tlsdetails')).toBe(
        'struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>',
      );
      expect(typeOf.get('readonly')).toBe('boolean');
      expect(typeOf.get('managementevent')).toBe('boolean');
      for (const name of [
        'eventid',
        'eventtime',
        'errorcode',
        'clienttype',
        'requestparameters',
        'sourceeventversion',
        'insightdetails',
      ])
        expect(typeOf.get(name)).toBe('string');
    });

    it('gives every field of a complete record a column or struct field of its type when the record is valid', () => {
      // Prepare: every field the record schema allows, nested ones included.
      const record = completeRecord();
      expect(Value.Check(trailRecordSchema, record)).toBe(true);
      const columns = new Map(ARCHIVE_COLUMNS.map(({ name, type }) => [name, parseHiveType(type)]));

      // Act
      const uncovered = Object.entries(record).flatMap(([key, value]) =>
        uncoveredPaths(key, value, columns.get(key.toLowerCase())),
      );

      // Assess
      expect(uncovered).toEqual([]);
    });

    it('stops synthesis naming the field when the record gains a field without a Hive type', () => {
      // Act
      const map = () => hiveType(Type.Object({ size: Type.Number() }), 'tlsDetails');

      // Assess
      expect(map).toThrowError(/^tlsDetails\.size: no Hive type for the schema \{"type":"number"\}/);
    });

    it('reads lines with the OpenX JSON SerDe and fails on malformed JSON when built', () => {
      // Assess
      expect(tableInput(template, defaultStack, archive).StorageDescriptor).toMatchObject({
        SerdeInfo: {
          SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          Parameters: { 'ignore.malformed.json': 'false' },
        },
      });
    });

    it('partitions by year, month, day and hour strings with projection over the Firehose prefix when built', () => {
      // Prepare
      const bucketRef = `\${${bucketId(defaultStack, archive)}}`;

      // Act
      const input = tableInput(template, defaultStack, archive);
      const parameters = isRecord(input.Parameters) ? input.Parameters : {};

      // Assess
      expect(input.PartitionKeys).toEqual([
        { Name: 'year', Type: 'string' },
        { Name: 'month', Type: 'string' },
        { Name: 'day', Type: 'string' },
        { Name: 'hour', Type: 'string' },
      ]);
      expect(parameters).toMatchObject({
        'projection.enabled': 'true',
        'projection.year.type': 'integer',
        'projection.year.range': '2026,2100',
        'projection.month.type': 'integer',
        'projection.month.range': '1,12',
        'projection.month.digits': '2',
        'projection.day.type': 'integer',
        'projection.day.range': '1,31',
        'projection.day.digits': '2',
        'projection.hour.type': 'integer',
        'projection.hour.range': '0,23',
        'projection.hour.digits': '2',
        classification: 'json',
        compressionType: 'gzip',
      });
      expect(renderCfnString(parameters['storage.location.template'])).toBe(
        `s3://${bucketRef}/events/\${year}/\${month}/\${day}/\${hour}/`,
      );
    });

    it('saves the view and three example queries in the database and primary workgroup when built', () => {
      // Prepare
      const databaseRef = defaultStack.resolve(archive.database.databaseName);

      // Act
      const queries = Object.values(template.findResources('AWS::Athena::NamedQuery')).map(
        (resource) => resource.Properties,
      );

      // Assess
      expect(queries.map((query) => query.Name)).toEqual(ATHENA_QUERIES.map((query) => query.name));
      for (const query of queries)
        expect(query).toMatchObject({ Database: databaseRef, WorkGroup: 'primary' });
      expect(queries[0]?.QueryString).toMatch(/^CREATE OR REPLACE VIEW events AS/);
      expect(queries[0]?.QueryString).toContain('row_number() OVER (PARTITION BY eventid)');
    });

    it('saves no query but still declares the table when athenaQueries is false', () => {
      // Prepare
      const databaseRefs = [locked, governance].map((target) =>
        overrideStack.resolve(target.database.databaseName),
      );

      // Act
      const queries = Object.values(overrideTemplate.findResources('AWS::Athena::NamedQuery'));

      // Assess
      expect(governance.namedQueries).toEqual([]);
      expect(queries).toHaveLength(ATHENA_QUERIES.length);
      for (const query of queries) expect(query.Properties?.Database).toEqual(databaseRefs[0]);
      overrideTemplate.hasResourceProperties('AWS::Glue::Table', {
        DatabaseName: databaseRefs[1],
        TableInput: Match.objectLike({ Name: RAW_TABLE_NAME }),
      });
    });
  });

  describe('grants', () => {
    it('lets a producer call PutRecordBatch on this stream only when grantPutRecords is called', () => {
      // Prepare
      const streamArn = renderCfnString(defaultStack.resolve(archive.deliveryStream.deliveryStreamArn));

      // Act
      const statements = statementsOfRole(
        template.toJSON().Resources,
        defaultStack.resolve(producer.roleName),
      );

      // Assess
      expect(statements).toEqual([
        { Action: 'firehose:PutRecordBatch', Effect: 'Allow', Resource: expect.anything() },
      ]);
      expect(renderCfnString(statements[0]?.Resource)).toBe(streamArn);
    });
  });

  describe('overrides', () => {
    it('encrypts the bucket with the customer key and a bucket key when encryptionKey is given', () => {
      // Assess
      expect(lockedBucketProps().BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: overrideStack.resolve(key.keyArn),
            },
          },
        ],
      });
    });

    it('encrypts the stream and what Firehose writes with the customer key when encryptionKey is given', () => {
      // Act
      const stream = streamProps(overrideTemplate, overrideStack, locked);

      // Assess
      expect(stream.DeliveryStreamEncryptionConfigurationInput).toEqual({
        KeyType: 'CUSTOMER_MANAGED_CMK',
        KeyARN: overrideStack.resolve(key.keyArn),
      });
      expect(s3Destination(overrideTemplate, overrideStack, locked).EncryptionConfiguration).toEqual({
        KMSEncryptionConfig: { AWSKMSKeyARN: overrideStack.resolve(key.keyArn) },
      });
    });

    it('lets the delivery role generate data keys and decrypt through S3 only when encryptionKey is given', () => {
      // Act
      const kmsStatements = statementsOfRole(
        overrideTemplate.toJSON().Resources,
        overrideStack.resolve(locked.deliveryRole.roleName),
      ).filter((statement) => JSON.stringify(statement.Action).includes('kms:'));

      // Assess
      expect(kmsStatements).toEqual([
        {
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Effect: 'Allow',
          Resource: overrideStack.resolve(key.keyArn),
          Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
        },
      ]);
    });

    it('locks objects in COMPLIANCE mode for the given days when Object Lock is asked for', () => {
      // Assess
      expect(lockedBucketProps()).toMatchObject({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } },
        },
      });
    });

    it('locks objects in GOVERNANCE mode when objectLockMode is not set', () => {
      // Assess
      expect(propertiesOf(overrideTemplate, bucketId(overrideStack, governance))).toMatchObject({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 30 } } },
      });
    });

    it('applies the lifecycle days and expiry, with noncurrent versions 30 days later, when they are set', () => {
      // Assess
      expect(lockedBucketProps().LifecycleConfiguration).toEqual({
        Rules: [
          {
            Id: 'ArchiveStorageClasses',
            Status: 'Enabled',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            ExpirationInDays: 3650,
            NoncurrentVersionExpiration: { NoncurrentDays: 30 },
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 60 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
            ],
          },
        ],
      });
    });

    it('keeps versioning and applies other bucket props when bucketProps sets some keys', () => {
      // Assess
      expect(lockedBucketProps()).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        AccelerateConfiguration: { AccelerationStatus: 'Enabled' },
      });
    });

    it('writes no access logs and acknowledges AwsSolutions-S1 on the bucket when serverAccessLogs is false', () => {
      // Act
      const acknowledged = locked.bucket.node.metadata
        .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((entry) => (isRecord(entry.data) ? Object.keys(entry.data) : []));

      // Assess
      expect(locked.accessLogsBucket).toBeUndefined();
      expect(lockedBucketProps()).not.toHaveProperty('LoggingConfiguration');
      expect(acknowledged).toEqual(['Annotation::AwsSolutions-S1']);
      expect(archive.bucket.node.metadata.map((entry) => entry.type)).not.toContain(
        Validations.ACKNOWLEDGED_RULES_METADATA_KEY,
      );
    });

    it('uses the given buffering, database, workgroup and partition years when they are set', () => {
      // Act
      const input = propertiesOf(overrideTemplate, overrideStack.getLogicalId(locked.table)).TableInput;

      // Assess
      expect(s3Destination(overrideTemplate, overrideStack, locked).BufferingHints).toEqual({
        IntervalInSeconds: 300,
        SizeInMBs: 128,
      });
      overrideTemplate.hasResourceProperties('AWS::Glue::Database', {
        DatabaseInput: Match.objectLike({ Name: 'audit_trail' }),
      });
      overrideTemplate.hasResourceProperties('AWS::Athena::NamedQuery', { WorkGroup: 'opentrail' });
      expect(input).toMatchObject({ Parameters: { 'projection.year.range': '2024,2050' } });
    });

    it('reports no unacknowledged AwsSolutions or Serverless finding when every option is on', () => {
      // Act
      const findings = unacknowledgedNagFindings(app);

      // Assess
      expect(findings).toEqual([]);
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
      const logsBucketStack = new Archive(stack, 'Other');

      // Act
      const build = () =>
        new Archive(stack, 'Archive', {
          encryptionKey: invalidKey,
          bucketProps: { encryption: BucketEncryption.S3_MANAGED, lifecycleRules: [] },
          infrequentAccessAfterDays: 10,
          glacierInstantRetrievalAfterDays: 20,
          objectLockMode: 'GOVERNANCE',
          serverAccessLogs: false,
          serverAccessLogsBucket: logsBucketStack.bucket,
          bufferingInterval: Duration.seconds(901),
          bufferingSize: Size.mebibytes(129),
          firstPartitionYear: 2030,
          lastPartitionYear: 2029,
          databaseName: 'Bad-Name',
        });

      // Assess
      expect(build).toThrowError(
        'Invalid Archive props:\n' +
          '- infrequentAccessAfterDays must be an integer from 30 to 36500 (got 10)\n' +
          '- glacierInstantRetrievalAfterDays must be at least 30 more than infrequentAccessAfterDays (got 20 and 10)\n' +
          '- infrequentAccessAfterDays, glacierInstantRetrievalAfterDays and expirationDays conflict with ' +
          'bucketProps.lifecycleRules: set only one\n' +
          '- objectLockMode needs objectLockRetentionDays\n' +
          '- serverAccessLogsBucket conflicts with serverAccessLogs: false: set only one\n' +
          '- encryptionKey and bucketProps.encryption conflict: set only one\n' +
          '- bufferingInterval must be a whole number of seconds from 0 to 900 (got 901 s)\n' +
          '- bufferingSize must be a whole number of MiB from 1 to 128 (got 129 MiB)\n' +
          '- firstPartitionYear must not be after lastPartitionYear (got 2030 and 2029)\n' +
          '- databaseName must be 1 to 255 lower-case letters, digits or underscores (got Bad-Name)',
      );
    });

    it('rejects an expiry before the lock ends or before Glacier IR when expirationDays is too small', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Expiry', { env: TEST_ENV });

      // Act
      const build = () =>
        new Archive(stack, 'Archive', { objectLockRetentionDays: 400, expirationDays: 300 });

      // Assess
      expect(build).toThrowError(
        'Invalid Archive props:\n' +
          '- expirationDays must be more than glacierInstantRetrievalAfterDays (got 300 and 365)\n' +
          '- expirationDays must not be less than objectLockRetentionDays (got 300 and 400)',
      );
    });

    it('rejects Object Lock on an unversioned bucket when bucketProps.versioned is false', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Unversioned', { env: TEST_ENV });

      // Act
      const build = () =>
        new Archive(stack, 'Archive', { objectLockRetentionDays: 30, bucketProps: { versioned: false } });

      // Assess
      expect(build).toThrowError('objectLockRetentionDays needs a versioned bucket');
    });

    it('accepts a zero buffering interval and the smallest buffer when they are at their limits', () => {
      // Prepare
      const stack = new Stack(validation.app, 'Bounds', { env: TEST_ENV });

      // Act
      const build = () =>
        new Archive(stack, 'Archive', {
          bufferingInterval: Duration.seconds(0),
          bufferingSize: Size.mebibytes(1),
        });

      // Assess
      expect(build).not.toThrow();
    });
  });
});
