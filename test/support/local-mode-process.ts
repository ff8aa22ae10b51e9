import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceEndpoints } from '../../lambda/functions/runtime.js';
import { PROJECT_ROOT } from '../../local/emulator.js';

export interface CredentialPair {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** What `npm start` writes to .opentrail/local.json. */
export interface LocalModeConfig {
  readonly apiUrl: string;
  readonly region: string;
  readonly awsEndpoint: string;
  /** The tables and their stream (MiniStack unless OPENTRAIL_DYNAMODB=moto), local mode's Firehose. */
  readonly serviceEndpoints: ServiceEndpoints;
  /** May call every route. */
  readonly credentials: CredentialPair;
  /** May call the put routes only (POST /events, POST /PutAuditEvents). */
  readonly producerCredentials: CredentialPair;
  /** May call the lookup routes only (GET /events, GET /events/{eventId}, POST / LookupEvents). */
  readonly readerCredentials: CredentialPair;
  /** The archive bucket; objects under events/YYYY/MM/DD/HH/. */
  readonly bucketName: string;
  readonly deliveryStreamName: string;
  /** The log group with one JSON line per event. */
  readonly logGroupName: string;
  readonly archiveDlqUrl: string;
  readonly logForwardDlqUrl: string;
  readonly eventBusName: string;
  /** The account the local API reports; PutAuditEvents' recipientAccountId must name it. */
  readonly accountId: string;
  /** The default channel for PutAuditEvents (docs/cloudtrail-compat.md). */
  readonly channelArn: string;
}

/** npm re-raises a signal it received, so after Ctrl+C it ends by SIGINT even when local mode exited 0. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface LocalModeProcess {
  readonly readyLine: string;
  readonly config: LocalModeConfig;
  /** Sends a signal to the whole process group, as Ctrl+C in a terminal does. */
  signal(signal: NodeJS.Signals): void;
  /** Resolves with how npm ended, or rejects after the deadline. */
  waitForExit(timeoutMs: number): Promise<ProcessExit>;
  /** What local mode printed on stdout, without npm's own `> opentrail@... start` banner. */
  stdoutLines(): string[];
  /** Last lines of stderr, for failure messages. */
  stderrTail(): string;
  /** SIGKILLs the group if it is still running; safe to call twice. */
  kill(): void;
}

const READY_LINE = /^OpenTrail local API ready at (http:\/\/\S+) \(config: (.+)\)$/m;

/** Runs `npm start` like a developer would, in its own process group, and waits for the ready line. */
export const startLocalModeProcess = async (
  environment: Readonly<Record<string, string>>,
  readyTimeoutMs: number,
): Promise<LocalModeProcess> => {
  const child = spawn('npm', ['start'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...environment },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-8_000);
  });
  let exit: ProcessExit | undefined;
  child.on('exit', (code, signal) => {
    exit = { code, signal };
  });

  const handle: Omit<LocalModeProcess, 'readyLine' | 'config'> = {
    signal: (signal) => signalGroup(child, signal),
    waitForExit: async (timeoutMs) => {
      const deadline = Date.now() + timeoutMs;
      while (exit === undefined && Date.now() < deadline) await sleep(50);
      if (exit === undefined) throw new Error(`npm start did not exit within ${timeoutMs} ms`);
      return exit;
    },
    stdoutLines: () => stdout.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('> ')),
    stderrTail: () => stderr,
    kill: () => {
      if (exit === undefined) signalGroup(child, 'SIGKILL');
    },
  };

  const deadline = Date.now() + readyTimeoutMs;
  let match = READY_LINE.exec(stdout);
  while (match === null && exit === undefined && Date.now() < deadline) {
    await sleep(100);
    match = READY_LINE.exec(stdout);
  }
  if (match === null) {
    handle.kill();
    throw new Error(
      `npm start printed no ready line (exit: ${JSON.stringify(exit)}).\nstdout:\n${stdout}\nstderr:\n${stderr}`,
    );
  }
  const configPath = join(PROJECT_ROOT, match[2] ?? '');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as LocalModeConfig;
  return { ...handle, readyLine: match[0], config };
};

const signalGroup = (child: ChildProcess, signal: NodeJS.Signals): void => {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group has already exited.
  }
};
