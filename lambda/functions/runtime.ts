import type { Logger } from '../adapters/logger.js';
import type { FunctionName, FunctionSettingKey } from '../manifest/functions.js';
import type { Settings } from '../manifest/settings.js';

/** How the functions' AWS SDK clients reach AWS: in Lambda the region alone; in local mode the emulator too. */
export interface AwsClientSettings {
  readonly region: string;
  readonly endpoint?: string;
  /**
   * A service's own endpoint instead of `endpoint`: local mode plays Firehose's data plane itself, and runs
   * DynamoDB and its stream on a faster emulator than the rest (docs/load.md).
   */
  readonly serviceEndpoints?: ServiceEndpoints;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The services whose clients may have an endpoint of their own. */
export interface ServiceEndpoints {
  readonly firehose?: string;
  readonly dynamodb?: string;
  readonly dynamodbstreams?: string;
}

/** The client settings of one service: its own endpoint when it has one. */
export function clientSettingsFor(
  aws: AwsClientSettings,
  service: keyof ServiceEndpoints,
): Omit<AwsClientSettings, 'serviceEndpoints'> {
  const { serviceEndpoints, ...settings } = aws;
  const endpoint = serviceEndpoints?.[service];
  return endpoint === undefined ? settings : { ...settings, endpoint };
}

/** What a function is built with besides its settings: its own logger and where its SDK clients go. */
export interface FunctionRuntime {
  readonly logger: Logger;
  /** Where the function's EMF metric documents go. @default stdout, where CloudWatch Logs reads them */
  readonly metricsOutput?: (line: string) => void;
  readonly aws: AwsClientSettings;
  /** The clock. @default Date.now */
  readonly now?: () => number;
}

/** One function's typed settings, as the manifest lists them (lambda/manifest/functions.ts). */
export type FunctionConfig<F extends FunctionName> = Settings<FunctionSettingKey<F>>;
