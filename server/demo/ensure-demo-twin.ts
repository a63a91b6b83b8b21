// Makes sure the demo twin exists before Plaza serves: writes the demo district's CityGML source once, and converts it
// to 3D Tiles whenever the tileset is missing or older than its source, swapping a finished tileset into place.
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { convertCityModels } from '../tiler/index';
import { writeCityGml } from './city/citygml-writer';
import { createDemoDistrict, DEFAULT_BUILDING_COUNT, DEFAULT_SEED } from './city/district';

/** Folder and file name stem of the demo twin under the tilesets folder. */
export const DEMO_TWIN_NAME = 'demo-city';

/** Where the demo twin's files live under a tilesets folder. */
export interface DemoTwinPaths {
  /** `<tilesets>/sources/demo-city.gml` */
  sourcePath: string;
  /** `<tilesets>/demo-city` */
  tilesetDirectory: string;
  /** `<tilesets>/demo-city/tileset.json` */
  tilesetPath: string;
}

/** Options of {@link ensureDemoTwin}. */
export interface EnsureDemoTwinOptions {
  /** Absolute tilesets folder (PlazaConfig.tilesetsDirectory). */
  tilesetsDirectory: string;
  /** Receives one line per step (default: silent). */
  log?: (line: string) => void;
  /** Buildings of a newly written source (default 2,400). An existing source is kept whatever its size. */
  buildingCount?: number;
  /** Seed of a newly written source (default 1). */
  seed?: number;
  /**
   * Metres the tiler adds to every height (default 0: DHHN2016 heights kept as they are). The local quasigeoid undulation
   * (roughly 48 m around Darmstadt) gives ellipsoidal heights for a terrain-covered globe.
   */
  heightOffset?: number;
}

/** Thrown when the demo twin cannot be converted; the message says what is missing or what failed. */
export class DemoTwinError extends Error {
  override name = 'DemoTwinError';
}

/** The demo twin's paths under `tilesetsDirectory`. */
export function demoTwinPaths(tilesetsDirectory: string): DemoTwinPaths {
  const tilesetDirectory = join(tilesetsDirectory, DEMO_TWIN_NAME);
  return {
    sourcePath: join(tilesetsDirectory, 'sources', `${DEMO_TWIN_NAME}.gml`),
    tilesetDirectory,
    tilesetPath: join(tilesetDirectory, 'tileset.json'),
  };
}

/**
 * Writes the demo district's CityGML to `<tilesets>/sources/demo-city.gml` unless it exists. The file appears
 * atomically (written beside it, then renamed), so a crash never leaves a truncated source.
 * @returns the source path and whether it was written now
 */
export async function ensureDemoSource(
  options: EnsureDemoTwinOptions,
): Promise<{ sourcePath: string; written: boolean }> {
  const { sourcePath } = demoTwinPaths(options.tilesetsDirectory);
  if (await exists(sourcePath)) return { sourcePath, written: false };
  const buildingCount = options.buildingCount ?? DEFAULT_BUILDING_COUNT;
  options.log?.(`demo twin: writing ${sourcePath} (${buildingCount} buildings)`);
  await mkdir(join(options.tilesetsDirectory, 'sources'), { recursive: true });
  const district = createDemoDistrict({ buildingCount, seed: options.seed ?? DEFAULT_SEED });
  const partialPath = `${sourcePath}.${process.pid}.partial`;
  try {
    await writeCityGml(district, partialPath);
    await rename(partialPath, sourcePath);
  } catch (error) {
    await rm(partialPath, { force: true });
    throw error;
  }
  return { sourcePath, written: true };
}

/**
 * Whether a tileset must be (re)built from its source: true when `tileset.json` is missing or was modified before the
 * source was.
 * @throws the file system's error when the source itself cannot be read
 */
export async function isTilesetStale(sourcePath: string, tilesetPath: string): Promise<boolean> {
  const source = await stat(sourcePath);
  let tileset;
  try {
    tileset = await stat(tilesetPath);
  } catch (error) {
    if (isMissing(error)) return true;
    throw error;
  }
  return tileset.mtimeMs < source.mtimeMs;
}

/**
 * Ensures the demo twin: writes its CityGML source if missing, then converts it to `<tilesets>/demo-city/` with the
 * tiler when `tileset.json` is missing or older than the source. The conversion goes to a temporary folder beside the
 * target that is renamed into place only once complete, so a crash never leaves a half tileset behind; leftovers of
 * crashed runs are removed.
 *
 * @returns the path of `tileset.json` and whether it was converted now
 * @throws DemoTwinError when the tiler produced no tileset.json
 * @throws the tiler's or file system's error when writing or converting fails
 */
export async function ensureDemoTwin(
  options: EnsureDemoTwinOptions,
): Promise<{ tilesetPath: string; converted: boolean }> {
  const paths = demoTwinPaths(options.tilesetsDirectory);
  await ensureDemoSource(options);
  await removeLeftovers(options.tilesetsDirectory);
  if (!(await isTilesetStale(paths.sourcePath, paths.tilesetPath))) {
    options.log?.(`demo twin: ${paths.tilesetPath} is up to date`);
    return { tilesetPath: paths.tilesetPath, converted: false };
  }
  const partialDirectory = join(options.tilesetsDirectory, `.${DEMO_TWIN_NAME}.${process.pid}.partial`);
  const oldDirectory = join(options.tilesetsDirectory, `.${DEMO_TWIN_NAME}.${process.pid}.old`);
  options.log?.(`demo twin: converting ${paths.sourcePath} to 3D Tiles`);
  try {
    await rm(partialDirectory, { recursive: true, force: true });
    await mkdir(partialDirectory, { recursive: true });
    const result = await convertCityModels({
      inputs: [paths.sourcePath],
      outDirectory: partialDirectory,
      heightOffset: options.heightOffset,
    });
    if (!(await exists(join(partialDirectory, 'tileset.json')))) {
      throw new DemoTwinError(`the tiler wrote no tileset.json for ${paths.sourcePath}`);
    }
    // Swap: the old tileset steps aside, the new one takes its name, then the old one goes.
    const hadOld = await exists(paths.tilesetDirectory);
    if (hadOld) await rename(paths.tilesetDirectory, oldDirectory);
    await rename(partialDirectory, paths.tilesetDirectory);
    if (hadOld) await rm(oldDirectory, { recursive: true, force: true });
    options.log?.(
      `demo twin: ${result.features} features, ${result.tiles} tiles, ${(result.bytes / 1e6).toFixed(1)} MB in ` +
        `${result.seconds.toFixed(1)} s (${result.crs}; heights: ${result.heightHandling}` +
        `${result.warningCount > 0 ? `; ${result.warningCount} warnings` : ''})`,
    );
  } catch (error) {
    await rm(partialDirectory, { recursive: true, force: true });
    throw error;
  }
  return { tilesetPath: paths.tilesetPath, converted: true };
}

/** Removes `.demo-city.<pid>.partial|old` folders left by runs whose process no longer exists. */
async function removeLeftovers(tilesetsDirectory: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(tilesetsDirectory);
  } catch (error) {
    if (isMissing(error)) return;
    throw error;
  }
  const pattern = new RegExp(`^\\.${DEMO_TWIN_NAME}\\.(\\d+)\\.(partial|old)$`);
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match || isProcessAlive(Number(match[1]))) continue;
    await rm(join(tilesetsDirectory, name), { recursive: true, force: true });
  }
}

function isProcessAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
