import { setTimeout as sleep } from 'node:timers/promises';
import { pageCount } from '../../lambda/core/keys.js';
import { LOCAL_CONFIG_FILE, type LocalModeConfig, readLocalConfig } from '../../local/live-config.js';
import { startLocal } from '../../local/runner.js';
import type { Deadline } from './deadline.js';
import { UsageError } from './options.js';
import type { SigningCredentials } from './signed-fetch.js';

/** The API the demo talks to: local mode started here, or a running one (npm start, a deployed stack). */
export interface DemoTarget {
  /** One line for the banner. */
  readonly description: string;
  readonly apiUrl: string;
  readonly region: string;
  readonly credentials: SigningCredentials;
  /** Where the archive and the logs are, when they live in an emulator the demo can read. */
  readonly emulator?: EmulatorPipeline;
  /** Waits until the target's stream consumers have every accepted event, and runs insights if it can. */
  settle(accepted: readonly string[], deadline: Deadline, report: (progress: string) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface EmulatorPipeline {
  readonly awsEndpoint: string;
  readonly bucketName: string;
  readonly logGroupName: string;
}

const SETTLE_REPORT_MS = 5_000;

/** Local mode in this process, with a baseline as short as the demo's history and insights run on demand. */
export async function startInProcessTarget(baselineMinutes: number): Promise<DemoTarget> {
  const local = await startLocal({
    port: Number(process.env.OPENTRAIL_PORT ?? 0),
    // The schedule is left to the demo: a run while the counters still lag would judge the burst's minutes on
    // partial counts, and a minute is judged once. So the demo runs insights itself, once counting is done.
    insights: { baselineMinutes, intervalSeconds: 3600 },
  });
  return {
    description: `local mode in this process at ${local.apiUrl} (emulator ${local.awsEndpoint})`,
    apiUrl: local.apiUrl,
    region: local.region,
    credentials: local.credentials,
    emulator: {
      awsEndpoint: local.awsEndpoint,
      bucketName: local.pipeline.bucketName,
      logGroupName: local.pipeline.logGroupName,
    },
    settle: async (acceptedEventIDs, deadline, report) => {
      // The stream carries pages (several events each): a consumer is done when it has every page of them.
      const accepted = pageCount(acceptedEventIDs);
      let reportedAt = Date.now();
      for (;;) {
        const stats = local.streamStats();
        const delivered = Object.entries(stats).map(
          ([name, consumer]) => `${name} ${consumer.recordsDelivered}`,
        );
        // A record the consumer gave up on (its dead-letter queue) will not be delivered: waiting would not help.
        const behind = Object.values(stats).some(
          (consumer) => consumer.recordsDelivered + consumer.recordsSentToDlq < accepted,
        );
        if (!behind || Date.now() - reportedAt >= SETTLE_REPORT_MS) {
          report(`stream consumers: ${delivered.join(', ')} of ${accepted} pages`);
          reportedAt = Date.now();
        }
        if (!behind) break;
        deadline.check('waiting for the stream consumers');
        await sleep(200);
      }
      // Local mode's Firehose buffers up to a minute, as in AWS: what it holds is written before the archive is counted.
      await local.firehose.flush();
      const summary = await local.runInsights();
      report(
        `insights run: ${summary.keys} keys, ${summary.minutesEvaluated} minutes judged, ${summary.started} insight(s) opened`,
      );
    },
    stop: () => local.stop(),
  };
}

/**
 * A running API. Local mode's file describes it when it names the same URL (credentials, emulator); otherwise
 * credentials come from the environment, as for the AWS CLI.
 */
export async function remoteTarget(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  localConfigFile = LOCAL_CONFIG_FILE,
): Promise<DemoTarget> {
  const apiUrl = url.replace(/\/+$/, '');
  const local: LocalModeConfig | undefined = await readLocalConfig(localConfigFile);
  const noop = async () => {};
  if (local?.apiUrl?.replace(/\/+$/, '') === apiUrl && local.credentials !== undefined) {
    return {
      description: `local mode at ${apiUrl} (from .opentrail/local.json)`,
      apiUrl,
      region: local.region ?? 'us-east-1',
      credentials: local.credentials,
      ...(local.awsEndpoint && local.bucketName && local.logGroupName
        ? {
            emulator: {
              awsEndpoint: local.awsEndpoint,
              bucketName: local.bucketName,
              logGroupName: local.logGroupName,
            },
          }
        : {}),
      settle: noop,
      stop: noop,
    };
  }
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new UsageError(
      `no credentials for ${apiUrl}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), ` +
        'or start local mode with npm start so .opentrail/local.json describes it',
    );
  }
  return {
    description: `the API at ${apiUrl}`,
    apiUrl,
    region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
    credentials: {
      accessKeyId,
      secretAccessKey,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    },
    settle: noop,
    stop: noop,
  };
}
