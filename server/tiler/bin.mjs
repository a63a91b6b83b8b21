// `npm run tiles`: runs the pre-built tiler bundle (see bundle.mjs), so the CLI starts without compiling TypeScript.
import { pathToFileURL } from 'node:url';
import { ensureTilerBundle } from './bundle.mjs';

const bundle = await ensureTilerBundle();
const { runTilerCommand } = await import(pathToFileURL(bundle).href);
process.exitCode = await runTilerCommand(process.argv.slice(2));
