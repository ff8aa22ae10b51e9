import type { Logger } from '../adapters/logger.js';
import type { FunctionName, FunctionSettingKey } from '../manifest/functions.js';
import type { Settings } from '../manifest/settings.js';

/** How the functions' AWS SDK clients reach AWS: in Lambda the region alone; in local mode the emulator too. */
export interface AwsClientSettings {
  readonly region: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
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
