import { DeadlineExceededError } from './demo/deadline.js';
import { parseDemoArgs, USAGE, UsageError } from './demo/options.js';
import { demoSucceeded, runDemo } from './demo/run.js';

/**
 * npm run demo -- [--events N] [--url URL] ...: realistic traffic, an insight, example lookups (scripts/demo/).
 * Exit codes: 0 all verified, 1 something was not accepted, found or done in time, 2 bad flags.
 */

// The functions log JSON (and metrics) to stdout, as Lambda wants; here that would bury the demo's own lines,
// so from now on other stdout writes go to stderr, and only errors are logged at all.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = process.stderr.write.bind(process.stderr);

const print = (line: string): void => {
  writeStdout(`${line}\n`);
};

try {
  const parsed = parseDemoArgs(process.argv.slice(2));
  if (parsed.help) {
    print(USAGE);
  } else {
    const report = await runDemo(parsed.options, { print });
    process.exitCode = demoSucceeded(report) ? 0 : 1;
  }
} catch (error) {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
  } else {
    const message = error instanceof DeadlineExceededError ? error.message : String(error);
    process.stderr.write(`The demo failed: ${message}\n`);
    process.exitCode = 1;
  }
}
