import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Dashboard,
  GraphWidget,
  type IMetric,
  type IWidget,
  LogQueryVisualizationType,
  LogQueryWidget,
  Metric,
  SearchExpression,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE } from '../../lambda/adapters/function-metrics.js';
import { SERVICE_NAME } from '../../lambda/manifest/functions.js';

/** One function or queue, with the name its line carries on the dashboard. */
export interface NamedResource<T> {
  readonly name: string;
  readonly resource: T;
}

export interface TrailDashboardProps {
  /** The trail's HTTP API: request counts, 4xx/5xx and latency. */
  readonly httpApi: IHttpApi;
  /** The function behind `POST /events`. */
  readonly ingestFunction: LambdaFunction;
  /** The function behind `GET /events` and `GET /events/{eventId}`. */
  readonly lookupFunction: LambdaFunction;
  /** Every DynamoDB stream consumer: their IteratorAge is the pipeline lag. */
  readonly streamConsumers: readonly NamedResource<LambdaFunction>[];
  /** Every dead-letter queue of the trail. */
  readonly deadLetterQueues: readonly NamedResource<IQueue>[];
  /**
   * The scheduled insights function, whose run summaries count insights opened and closed.
   *
   * @default - no insights row
   */
  readonly insightsFunction?: LambdaFunction;
  /**
   * Period of every graph.
   *
   * @default Duration.minutes(1)
   */
  readonly period?: Duration;
}

/**
 * The log lines the dashboard's Logs Insights widgets read: the messages and keys the handlers log through the
 * shared Powertools logger (lambda/adapters/http.ts, lambda/routes/ingest.ts, lambda/handlers/insights.ts).
 */
export const DASHBOARD_QUERIES = {
  /** Whole requests refused with a 4xx, by the error code in the response (`request refused`, key `code`). */
  rejectsByCode: [
    'fields code',
    'filter message = "request refused"',
    'stats count(*) as refused by code',
    'sort refused desc',
  ],
  /**
   * Events stored, refused one by one and filtered out inside accepted requests, from both put routes: `events put`
   * (POST /events, keys `stored`, `failed`, `filtered`) and `audit events put` (POST /PutAuditEvents, keys `stored`
   * and `failed`; its `stored` counts filtered events too, as CloudTrail reports them successful). The
   * EventsFiltered metric counts filtered events of both routes.
   */
  eventsPut: [
    'filter message in ["events put", "audit events put"]',
    'stats sum(stored) as stored, sum(failed) as refused, sum(filtered) as filtered by bin(5m)',
  ],
  /** Insights opened and closed per run (`insights run`, keys `started` and `ended`). */
  insightsOpened: [
    'filter message = "insights run"',
    'stats sum(started) as opened, sum(ended) as closed by bin(5m)',
  ],
} as const;

/**
 * The metrics the ingest function writes in the embedded metric format (lambda/adapters/ingest-metrics.ts):
 * EventsFiltered by Service, EventsRejected by Service and ErrorCode.
 */
export const INGEST_METRICS = {
  namespace: METRICS_NAMESPACE,
  service: SERVICE_NAME,
  filtered: 'EventsFiltered',
  rejected: 'EventsRejected',
} as const;

const WIDTH = { full: 24, half: 12, third: 8 } as const;
const HEIGHT = 6;

/**
 * The operator's view of one trail: ingest rate, rejects by code, lookup latency, pipeline lag, dead-letter queue
 * depths and insights opened. The dashboard name is left to CloudFormation, so two trails never clash.
 */
export class TrailDashboard extends Construct {
  public readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: TrailDashboardProps) {
    super(scope, id);
    const period = props.period ?? Duration.minutes(1);
    const graph = (title: string, left: IMetric[], width: number = WIDTH.third, right: IMetric[] = []) =>
      new GraphWidget({ title, left, right, width, height: HEIGHT, period });
    const logQuery = (
      title: string,
      functions: readonly LambdaFunction[],
      queryLines: readonly string[],
      view: LogQueryVisualizationType,
      width: number = WIDTH.third,
    ) =>
      new LogQueryWidget({
        title,
        logGroupNames: functions.map(logGroupNameOf),
        queryLines: [...queryLines],
        view,
        width,
        height: HEIGHT,
      });

    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            '## OpenTrail\nIngest and lookup through the API, the stream pipeline behind the table, and insights.',
          width: WIDTH.full,
          height: 2,
        }),
      ],
      [
        graph('Ingest rate (POST /events invocations)', [
          props.ingestFunction.metricInvocations({ statistic: Stats.SUM, label: 'ingest invocations' }),
          props.httpApi.metricCount({ statistic: Stats.SUM, label: 'API requests (all routes)' }),
        ]),
        graph('Rejects (HTTP status class)', [
          props.httpApi.metricClientError({ statistic: Stats.SUM, label: '4xx' }),
          props.httpApi.metricServerError({ statistic: Stats.SUM, label: '5xx' }),
          props.ingestFunction.metricErrors({ statistic: Stats.SUM, label: 'ingest function errors' }),
        ]),
        logQuery(
          'Rejected requests by code',
          [props.ingestFunction, props.lookupFunction],
          DASHBOARD_QUERIES.rejectsByCode,
          LogQueryVisualizationType.TABLE,
        ),
      ],
      [
        logQuery(
          'Events stored, refused and filtered per event',
          [props.ingestFunction],
          DASHBOARD_QUERIES.eventsPut,
          LogQueryVisualizationType.BAR,
          WIDTH.half,
        ),
        graph('Events filtered and rejected by code (metrics)', ingestEventMetrics(period), WIDTH.half),
      ],
      [
        graph(
          'Lookup latency (function)',
          [
            props.lookupFunction.metricDuration({ statistic: Stats.percentile(50), label: 'p50' }),
            props.lookupFunction.metricDuration({ statistic: Stats.percentile(99), label: 'p99' }),
          ],
          WIDTH.half,
        ),
        graph(
          'API latency (all routes)',
          [
            props.httpApi.metricLatency({ statistic: Stats.percentile(50), label: 'p50' }),
            props.httpApi.metricLatency({ statistic: Stats.percentile(99), label: 'p99' }),
          ],
          WIDTH.half,
        ),
      ],
      [
        graph(
          'Pipeline lag (IteratorAge, max)',
          props.streamConsumers.map(({ name, resource }) =>
            resource.metric('IteratorAge', { statistic: Stats.MAXIMUM, label: name }),
          ),
          WIDTH.half,
        ),
        graph(
          'Dead-letter queue depths',
          props.deadLetterQueues.map(({ name, resource }) =>
            resource.metricApproximateNumberOfMessagesVisible({ statistic: Stats.MAXIMUM, label: name }),
          ),
          WIDTH.half,
        ),
      ],
    ];
    if (props.insightsFunction) {
      rows.push([
        logQuery(
          'Insights opened and closed',
          [props.insightsFunction],
          DASHBOARD_QUERIES.insightsOpened,
          LogQueryVisualizationType.BAR,
          WIDTH.half,
        ),
        graph(
          'Insights runs',
          [
            props.insightsFunction.metricInvocations({ statistic: Stats.SUM, label: 'runs' }),
            props.insightsFunction.metricErrors({ statistic: Stats.SUM, label: 'failed runs' }),
          ],
          WIDTH.half,
        ),
      ]);
    }

    this.dashboard = new Dashboard(this, 'Dashboard', { widgets: rows });
  }
}

/**
 * EventsFiltered as one line and EventsRejected as one line per ErrorCode: a search expression, since the codes
 * seen are not known when the dashboard is built. The metrics carry no stack dimension, so every OpenTrail stack
 * in the account and Region adds to them.
 */
function ingestEventMetrics(period: Duration): IMetric[] {
  const { namespace, service, filtered, rejected } = INGEST_METRICS;
  return [
    new Metric({
      namespace,
      metricName: filtered,
      dimensionsMap: { Service: service },
      statistic: Stats.SUM,
      label: 'filtered',
    }),
    new SearchExpression({
      expression:
        `SEARCH('{${namespace},ErrorCode,Service} MetricName="${rejected}" Service="${service}"', ` +
        `'Sum', ${period.toSeconds()})`,
      // A CloudWatch dynamic label: each series is named by its ErrorCode.
      label: `rejected \${PROP('Dim.ErrorCode')}`,
      period,
    }),
  ];
}

/** Each OpenTrail function has its own log group (lib/trail-function.ts). */
function logGroupNameOf(fn: LambdaFunction): string {
  return fn.logGroup.logGroupName;
}
