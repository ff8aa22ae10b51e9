import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

/**
 * Bundles the console (console/src/main.tsx) with esbuild: one script, one stylesheet and the page, nothing inline,
 * so the CSP can say script-src 'self'. Local mode calls it at start; `npm run build:console` writes console/dist.
 */

const CONSOLE_DIR = dirname(fileURLToPath(import.meta.url));

export interface BuiltConsole {
  /** The folder the static files are in. */
  readonly root: string;
  readonly metafile: Metafile;
}

export async function buildConsole(outdir: string): Promise<BuiltConsole> {
  await mkdir(outdir, { recursive: true });
  const result = await build({
    entryPoints: { app: join(CONSOLE_DIR, 'src', 'main.tsx'), styles: join(CONSOLE_DIR, 'styles.css') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    sourcemap: true,
    metafile: true,
    absWorkingDir: CONSOLE_DIR,
    logLevel: 'warning',
  });
  await copyFile(join(CONSOLE_DIR, 'index.html'), join(outdir, 'index.html'));
  return { root: outdir, metafile: result.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outdir = join(CONSOLE_DIR, 'dist');
  await buildConsole(outdir);
  process.stdout.write(`console built in ${outdir}\n`);
}
