import { Logger, type LogItem } from '@aws-lambda-powertools/logger';

import { SERVICE_NAME } from '../manifest/functions.js';

export type { Logger } from '@aws-lambda-powertools/logger';

/** A Logger that hands each JSON line to a sink instead of stdout: local mode runs several functions in one process. */
class SinkLogger extends Logger {
  constructor(
    options: ConstructorParameters<typeof Logger>[0],
    private readonly sink: (line: string) => void,
  ) {
    super(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    this.sink(JSON.stringify(log.getAttributes()));
  }

  // A child (a request's own logger) writes where its parent does.
  protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
    return new SinkLogger(options, this.sink);
  }
}

export interface FunctionLoggerOptions {
  /** Where each JSON line goes. @default stdout, as Lambda wants */
  readonly sink?: (line: string) => void;
  /** @default POWERTOOLS_LOG_LEVEL, else INFO */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

/**
 * One function's logger. It logs ids and counts, never event payloads. Each function has its own, so the context
 * one invocation attaches (`addContext`) labels only that function's lines.
 */
export function createFunctionLogger(options: FunctionLoggerOptions = {}): Logger {
  const loggerOptions = {
    serviceName: SERVICE_NAME,
    ...(options.logLevel === undefined ? {} : { logLevel: options.logLevel }),
  };
  return options.sink === undefined ? new Logger(loggerOptions) : new SinkLogger(loggerOptions, options.sink);
}

/** The logger of the function this Lambda container runs (one function per container). */
export const logger = createFunctionLogger();
