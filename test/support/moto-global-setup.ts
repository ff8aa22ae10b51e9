import type { TestProject } from 'vitest/node';
import { startEmulator } from '../../local/emulator.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Base URL of the moto server shared by the integration project. */
    motoEndpoint: string;
  }
}

/** One moto server for the whole integration project; each test file resets it (moto-reset.ts). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const emulator = await startEmulator({ readyTimeoutMs: 60_000 });
  project.provide('motoEndpoint', emulator.url);
  return () => emulator.stop();
}
