// `npm run tiles`: runs the pre-built tiler bundle (see bundle.mjs), so the CLI starts without compiling TypeScript.
// On Linux it runs under MALLOC_MMAP_THRESHOLD_=65536: glibc then returns freed blocks of 64 KB and more (typed arrays
// of one tile) to the system at once instead of keeping them, which keeps peak RSS about 20% lower on large inputs at
// no measurable cost in time. The variable must be set before the process starts, hence one re-launch.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureTilerBundle } from './bundle.mjs';

const MMAP_THRESHOLD = '65536';

if (process.platform === 'linux' && process.env.MALLOC_MMAP_THRESHOLD_ === undefined) {
  const child = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
    {
      stdio: 'inherit',
      env: { ...process.env, MALLOC_MMAP_THRESHOLD_: MMAP_THRESHOLD },
    },
  );
  // Ctrl-C reaches both processes (same process group); the child decides, this one waits for it.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  const bundle = await ensureTilerBundle();
  const { runTilerCommand } = await import(pathToFileURL(bundle).href);
  process.exitCode = await runTilerCommand(process.argv.slice(2));
}
