import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { access, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * The moto server that stands in for AWS in local mode and tests (DESIGN.md §9): a project-local `.venv`
 * with the pinned requirements, one server per caller on a free loopback port, reset and stopped on demand.
 */

export const PROJECT_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

export interface MotoEmulator {
  /** Base URL, e.g. http://127.0.0.1:54321; use it as AWS_ENDPOINT_URL. */
  readonly url: string;
  /** Drops every resource in the emulator (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stops the server and its process group; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartEmulatorOptions {
  /** @default the repository root */
  readonly projectRoot?: string;
  /** Receives the emulator's and pip's output lines; they never go to stdout. @default drop them */
  readonly log?: (line: string) => void;
  /** @default 30 000 ms */
  readonly readyTimeoutMs?: number;
}

/**
 * moto's server with its Query made proportional to the items a key has and its access log cut to failures
 * (docs/load.md says what the profile showed); run with the .venv's Python.
 */
const MOTO_LAUNCHER = fileURLToPath(new URL('./moto_server.py', import.meta.url));
const INSTALL_TIMEOUT_MS = 10 * 60 * 1000;
const LOCK_POLL_MS = 500;
const READY_POLL_MS = 100;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
/** Copy of the requirements last installed into .venv; a different requirements.txt means reinstall. */
const INSTALLED_REQUIREMENTS_STAMP = 'requirements.installed.txt';

export const startEmulator = async (options: StartEmulatorOptions = {}): Promise<MotoEmulator> => {
  const projectRoot = options.projectRoot ?? PROJECT_ROOT;
  const log = options.log ?? (() => {});
  const motoServer = await ensureVirtualEnv(projectRoot, log);
  return startOnFreePort((port) => startMotoServer(motoServer, port, options.readyTimeoutMs ?? 30_000, log));
};

/**
 * Runs `start` with a free loopback port. Another process can take the port between probing and the server
 * binding it, so a failed start is retried on a new port.
 */
export const startOnFreePort = async <T>(start: (port: number) => Promise<T>): Promise<T> => {
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await start(await findFreePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
};

/**
 * Creates `.venv` and installs requirements.txt into it when it is missing or out of date, and returns the
 * path of moto_server. A lock file keeps concurrent callers (test projects, `npm start`) from installing
 * into the same environment at once.
 */
export const ensureVirtualEnv = async (projectRoot: string, log: (line: string) => void): Promise<string> => {
  const venv = join(projectRoot, '.venv');
  const motoServer = join(venv, 'bin', 'moto_server');
  const requirements = await readFile(join(projectRoot, 'requirements.txt'), 'utf8');
  const isCurrent = async () =>
    (await exists(motoServer)) &&
    (await readFile(join(venv, INSTALLED_REQUIREMENTS_STAMP), 'utf8').catch(() => '')) === requirements;

  if (await isCurrent()) return motoServer;
  await mkdir(venv, { recursive: true });
  const lock = join(venv, '.install.lock');
  const releaseLock = await acquireInstallLock(lock);
  try {
    if (await isCurrent()) return motoServer;
    log('Preparing .venv with requirements.txt (first run only)');
    if (!(await exists(join(venv, 'bin', 'python')))) {
      await runCommand('python3', ['-m', 'venv', venv], { cwd: projectRoot, log });
    }
    await runCommand(
      join(venv, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '-r', 'requirements.txt'],
      { cwd: projectRoot, log },
    );
    await writeFile(join(venv, INSTALLED_REQUIREMENTS_STAMP), requirements);
    return motoServer;
  } finally {
    releaseLock();
  }
};

const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );

/**
 * Exclusive create makes the file a lock; it holds the owner's pid, so a lock left by a killed process is
 * recognised and taken over instead of blocking every later start.
 */
const acquireInstallLock = async (lock: string): Promise<() => void> => {
  const deadline = Date.now() + INSTALL_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      await writeFile(lock, String(process.pid), { flag: 'wx' });
      const release = () => {
        process.off('exit', release);
        rmSync(lock, { force: true });
      };
      // process.exit() during the install (Ctrl+C on the first `npm start`) must not leave the lock behind.
      process.on('exit', release);
      return release;
    } catch (error) {
      if (!isErrorCode(error, 'EEXIST')) throw error;
    }
    // An empty file is a lock being written right now.
    const owner = Number(await readFile(lock, 'utf8').catch(() => ''));
    if (Number.isInteger(owner) && owner > 0 && !isProcessAlive(owner)) await rm(lock, { force: true });
    await sleep(LOCK_POLL_MS);
  }
  throw new Error(`Timed out waiting for another process to finish installing into .venv (lock ${lock})`);
};

const isProcessAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isErrorCode(error, 'ESRCH');
  }
};

const isErrorCode = (error: unknown, code: string): boolean =>
  error instanceof Error && 'code' in error && error.code === code;

export interface RunCommandOptions {
  readonly cwd: string;
  /** Receives the command's output lines. */
  readonly log: (line: string) => void;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default 10 minutes */
  readonly timeoutMs?: number;
}

/** Runs a command to completion; a non-zero exit fails with the command's last output lines. */
export const runCommand = async (command: string, args: readonly string[], options: RunCommandOptions) => {
  const { cwd, env, log } = options;
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = forwardLines(child, log);
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? INSTALL_TIMEOUT_MS);
  try {
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
    if (code !== 0) {
      throw new Error(
        `${command} ${args.join(' ')} failed (${signal ?? `exit code ${code}`}):\n${output.tail().join('\n')}`,
      );
    }
  } finally {
    clearTimeout(timer);
  }
};

/** Passes a child's output to the log line by line and keeps the last lines for error messages. */
const forwardLines = (child: ChildProcess, log: (line: string) => void) => {
  const tailLines: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split(/\r?\n/)) {
      if (line.trim() === '') continue;
      log(line);
      tailLines.push(line);
      if (tailLines.length > 20) tailLines.shift();
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  return { tail: () => [...tailLines] };
};

/** Asks the OS for a free loopback port by binding port 0, then releases it. */
export const findFreePort = async (): Promise<number> => {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('Could not determine a free port');
  return address.port;
};

const startMotoServer = async (
  motoServer: string,
  port: number,
  readyTimeoutMs: number,
  log: (line: string) => void,
): Promise<MotoEmulator> => {
  const url = `http://127.0.0.1:${port}`;
  const server = await startServerProcess({
    name: 'moto_server',
    command: join(dirname(motoServer), 'python'),
    args: [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)],
    url,
    readyPath: '/moto-api/',
    readyTimeoutMs,
    log,
  });
  return {
    url,
    reset: async () => {
      const response = await fetch(`${url}/moto-api/reset`, {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`moto reset failed with HTTP ${response.status}`);
    },
    stop: server.stop,
  };
};

/** An emulator (moto, MiniStack) to start as a child process that serves HTTP on `url` once ready. */
export interface ServerProcessSpec {
  /** Named in error messages. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Working directory of the process. @default the current one */
  readonly cwd?: string;
  /** Base URL the server listens on, e.g. http://127.0.0.1:54321. */
  readonly url: string;
  /** Path under `url` that answers 2xx once the server is ready. */
  readonly readyPath: string;
  readonly readyTimeoutMs: number;
  /** Receives the process's output lines. */
  readonly log: (line: string) => void;
}

export interface ServerProcess {
  readonly url: string;
  /** Stops the server and its process group; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts a server in its own process group and waits until it answers on `readyPath`. The group is killed when
 * this process exits without calling stop().
 */
export const startServerProcess = async (spec: ServerProcessSpec): Promise<ServerProcess> => {
  const { url, log } = spec;
  // Its own process group, so stop() can signal everything it started (MiniStack's Lambda workers too) and
  // Ctrl+C in a terminal reaches us first, letting us shut down in order.
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = forwardLines(child, log);
  let running = true;
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running = false;
      resolve();
    });
    // A failed spawn (no such command) emits 'error' and no 'exit'.
    child.once('error', (error) => {
      spawnError = error;
      running = false;
      resolve();
    });
  });

  // If this process ends without stop() (an uncaught error, process.exit), the server must not outlive it.
  const killOnExit = () => signalGroup(child, 'SIGKILL');
  process.on('exit', killOnExit);

  const stop = async () => {
    if (running) {
      signalGroup(child, 'SIGTERM');
      const stopped = await Promise.race([
        exited.then(() => true),
        sleep(STOP_GRACE_MS, undefined, { ref: false }).then(() => false),
      ]);
      if (!stopped) {
        signalGroup(child, 'SIGKILL');
        await Promise.race([exited, sleep(STOP_GRACE_MS, undefined, { ref: false })]);
      }
    }
    // Only now: this process may exit while waiting above (the timers do not hold it), and a server that ignores
    // SIGTERM (MiniStack with a request stuck in a worker thread) must still be killed then.
    process.off('exit', killOnExit);
  };

  try {
    await waitUntilReady(
      `${url}${spec.readyPath}`,
      spec.readyTimeoutMs,
      () => spawnError ?? (running ? undefined : new Error('the process exited')),
    );
  } catch (error) {
    await stop();
    const detail = output.tail().join('\n');
    throw new Error(
      `${spec.name} did not start on ${url}: ${(error as Error).message}${detail ? `\n${detail}` : ''}`,
    );
  }
  return { url, stop };
};

const signalGroup = (child: ChildProcess, signal: NodeJS.Signals): void => {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch (error) {
    // ESRCH: the group is already gone, which is what we want.
    if (!isErrorCode(error, 'ESRCH')) throw error;
  }
};

const waitUntilReady = async (readyUrl: string, timeoutMs: number, exitReason: () => Error | undefined) => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reason = exitReason();
    if (reason !== undefined) throw reason;
    const ready = await fetch(readyUrl, { signal: AbortSignal.timeout(1_000) }).then(
      async (response) => {
        await response.body?.cancel();
        return response.ok;
      },
      () => false,
    );
    if (ready) return;
    await sleep(READY_POLL_MS);
  }
  throw new Error(`not ready after ${timeoutMs} ms`);
};
