// `npm run demo:city -- --buildings N --out <file.gml> [--seed S]`: writes the demo district as CityGML 2.0 LOD2,
// with a progress line on a terminal and a one-line summary at the end.
import { mkdir, rename, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { computeEnvelope, writeCityGml } from './citygml-writer';
import {
  DEFAULT_BUILDING_COUNT,
  DEFAULT_SEED,
  DEMO_DISTRICT_NAME,
  generateDemoBuildings,
  MAXIMUM_BUILDING_COUNT,
  projectToWgs84,
} from './district';

const USAGE = `usage: npm run demo:city -- --buildings N --out <file.gml> [--seed S]
  --buildings N   number of buildings (default ${DEFAULT_BUILDING_COUNT}, at most ${MAXIMUM_BUILDING_COUNT})
  --out FILE      the CityGML file to write (its folder is created)
  --seed S        PRNG seed, an integer (default ${DEFAULT_SEED}); the same options give the same file`;

class UsageError extends Error {}

function parseInteger(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`--${name} expects an integer, got '${text}'`);
  return Number(text);
}

async function main(argv: string[]): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        buildings: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!values.out) throw new UsageError('--out is required');
  const buildingCount = parseInteger('buildings', values.buildings, DEFAULT_BUILDING_COUNT);
  const seed = parseInteger('seed', values.seed, DEFAULT_SEED);
  if (buildingCount < 1 || buildingCount > MAXIMUM_BUILDING_COUNT) {
    throw new UsageError(`--buildings must be from 1 to ${MAXIMUM_BUILDING_COUNT}, got ${buildingCount}`);
  }
  const outPath = resolve(values.out);
  const started = performance.now();
  // Two passes over the deterministic generator, the first for the root envelope, so that no more than one block of
  // buildings is ever in memory, however large the city.
  const envelope = computeEnvelope(generateDemoBuildings({ buildingCount, seed }));
  const measured = performance.now();
  await mkdir(dirname(outPath), { recursive: true });
  const temporaryPath = `${outPath}.${process.pid}.partial`;
  const tty = process.stderr.isTTY;
  const result = await writeCityGml(
    { name: DEMO_DISTRICT_NAME, buildings: generateDemoBuildings({ buildingCount, seed }) },
    temporaryPath,
    {
      envelope,
      onProgress: tty
        ? ({ buildings, bytes }) => {
            const percent = ((100 * buildings) / buildingCount).toFixed(0).padStart(3);
            process.stderr.write(
              `\r${percent}% ${buildings.toLocaleString('en')} / ${buildingCount.toLocaleString('en')} buildings, ` +
                `${(bytes / 1e6).toFixed(1)} MB`,
            );
          }
        : undefined,
    },
  );
  // Readers never see a half-written file.
  await rename(temporaryPath, outPath);
  if (tty) process.stderr.write('\n');
  const seconds = (performance.now() - started) / 1000;
  const size = (await stat(outPath)).size;
  const [west, south] = projectToWgs84([envelope.lowerCorner[0], envelope.lowerCorner[1]]);
  const [east, north] = projectToWgs84([envelope.upperCorner[0], envelope.upperCorner[1]]);
  process.stdout.write(
    `demo:city wrote ${outPath}: ${result.buildings} buildings, ${(size / 1e6).toFixed(1)} MB in ` +
      `${seconds.toFixed(1)} s (envelope pass ${((measured - started) / 1000).toFixed(1)} s); ${DEMO_DISTRICT_NAME}, ` +
      `EPSG:25832 + DHHN2016, ${[west, south, east, north].map((value) => value.toFixed(5)).join(',')} ` +
      `(WGS84 west,south,east,north), heights ${envelope.lowerCorner[2].toFixed(1)}-` +
      `${envelope.upperCorner[2].toFixed(1)} m; seed ${seed}\n`,
  );
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof RangeError) {
    process.stderr.write(`demo:city: ${error.message}\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `demo:city: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
