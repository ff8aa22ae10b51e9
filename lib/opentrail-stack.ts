import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { EventStore } from './constructs/event-store.js';
import { TrailApi } from './constructs/trail-api.js';

export interface OpenTrailStackProps extends StackProps {
  /**
   * Days an event stays searchable, 1 to 3650.
   *
   * @default 90
   */
  readonly retentionDays?: number;
  /**
   * Write shards per hot key, 1 to 32.
   *
   * @default 16
   */
  readonly writeShards?: number;
  /**
   * Retention of the function and API access logs.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Throttling of every API route.
   *
   * @default { rateLimit: 1000, burstLimit: 2000 }
   */
  readonly apiThrottle?: ThrottleSettings;
}

/** OpenTrail in one stack: the events table and the API in front of it. */
export class OpenTrailStack extends Stack {
  public readonly eventStore: EventStore;
  public readonly trailApi: TrailApi;

  constructor(scope: Construct, id: string, props: OpenTrailStackProps = {}) {
    super(scope, id, props);
    this.eventStore = new EventStore(this, 'EventStore', {
      retentionDays: props.retentionDays,
      writeShards: props.writeShards,
    });
    this.trailApi = new TrailApi(this, 'TrailApi', {
      eventStore: this.eventStore,
      logRetention: props.logRetention,
      throttle: props.apiThrottle,
    });
    new CfnOutput(this, 'ApiUrl', { value: this.trailApi.url, description: 'Base URL of the OpenTrail API' });
    new CfnOutput(this, 'TableName', {
      value: this.eventStore.table.tableName,
      description: 'The events table',
    });
  }
}
