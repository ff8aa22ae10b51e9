import { readdir, readFile } from 'node:fs/promises';

/**
 * CPU seconds this process and each emulator it started (moto, MiniStack: its child processes) have used, read
 * from Linux's /proc, so the load benchmark can say which of them is busy. Elsewhere the emulators are left out.
 */

/** Kernel clock ticks per second (USER_HZ), what /proc/<pid>/stat counts in: 100 on Linux. */
const TICKS_PER_SECOND = 100;

export interface CpuSample {
  /** This process (the handlers, the HTTP front, the pollers, autocannon). */
  readonly node: number;
  /** Each child process by what it runs (`moto`, `ministack`, or its command's name). */
  readonly children: Readonly<Record<string, number>>;
}

/** What a child runs, from its command line. */
const childName = (commandLine: string): string => {
  if (commandLine.includes('moto_server')) return 'moto';
  if (commandLine.includes('ministack')) return 'ministack';
  return commandLine.split('\0')[0]?.split('/').at(-1) ?? 'unknown';
};

/** utime + stime of one process, in seconds; the command's name may hold spaces, so fields count from its ')'. */
const processCpuSeconds = async (pid: string): Promise<number> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3 of stat(5), utime 14 and stime 15.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
};

const childPids = async (): Promise<string[]> => {
  const tasks = await readdir('/proc/self/task').catch(() => []);
  const lists = await Promise.all(
    tasks.map((task) => readFile(`/proc/self/task/${task}/children`, 'utf8').catch(() => '')),
  );
  return lists.flatMap((list) => list.split(' ').filter((pid) => pid !== ''));
};

export const sampleCpu = async (): Promise<CpuSample> => {
  const usage = process.cpuUsage();
  const children: Record<string, number> = {};
  for (const pid of await childPids()) {
    try {
      const name = childName(await readFile(`/proc/${pid}/cmdline`, 'utf8'));
      children[name] = (children[name] ?? 0) + (await processCpuSeconds(pid));
    } catch {
      // The child exited between the listing and the read.
    }
  }
  return { node: (usage.user + usage.system) / 1e6, children };
};

/** CPU seconds used between two samples, by process. */
export const cpuSecondsBetween = (before: CpuSample, after: CpuSample): Record<string, number> => {
  const used: Record<string, number> = { node: after.node - before.node };
  for (const [name, seconds] of Object.entries(after.children)) {
    used[name] = seconds - (before.children[name] ?? 0);
  }
  return used;
};
