// The conversion pipeline: read (CityGML / CityJSON) → place and triangulate → spill → quadtree → GLB tiles,
// tileset.json and id index. Bad objects and files are listed as warnings; only "nothing usable" is an error.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { CrsResolutionError, createHorizontalTransform, resolveCrs } from './crs';
import type { HorizontalTransform, TilerCrs } from './crs';
import { DataError, TilerUsageError } from './errors';
import type { ConversionWarning } from './errors';
import { createTypeFilter } from './model';
import type { CityObjectRecord } from './model';
import { buildQuadtree } from './stages/build-quadtree';
import { FeatureStore } from './stages/feature-store';
import { SchemaCollector } from './stages/metadata-schema';
import { readCityGml } from './stages/read-citygml';
import { readCityJson } from './stages/read-cityjson';
import { MaterialTable, triangulateObject } from './stages/triangulate';
import { writeTileset } from './stages/write-tileset';

/** Options of {@link convertCityModels}. */
export interface ConvertOptions {
  /** Files or folders (searched recursively for .gml, .xml, .json, .jsonl, also .gz). */
  inputs: string[];
  outDirectory: string;
  /** 'EPSG:25832' | '25832' | URN/URL | proj4 string; overrides the files' own CRS. */
  crs?: string;
  /** Metres added to every height (e.g. the geoid undulation, to turn orthometric into ellipsoidal heights). Default 0. */
  heightOffset?: number;
  /** Target LOD: the highest LOD ≤ this per object; default: the highest present. */
  lod?: number;
  /** Object types or families to keep, e.g. ['Building', 'Bridge']; default: all. */
  types?: string[];
  /** Quantize positions (KHR_mesh_quantization). Default true. */
  compress?: boolean;
  onProgress?: (progress: ConversionProgress) => void;
  /** Leaf budget in vertices (default 60 000). */
  maximumLeafVertices?: number;
}

/** Progress as reported while converting. */
export interface ConversionProgress {
  features: number;
  bytesRead: number;
  bytesTotal: number;
  tiles: number;
}

/** The result of a conversion. */
export interface ConversionSummary {
  features: number;
  tiles: number;
  /** Bytes written (GLB tiles and tileset.json). */
  bytes: number;
  seconds: number;
  /** The first warnings (at most 1 000); `warningCount` has the total. */
  warnings: ConversionWarning[];
  warningCount: number;
  /** The source CRS(s) applied, e.g. `EPSG:25832 + DHHN2016`. */
  crs: string;
  /** How heights were mapped, in words. */
  heightHandling: string;
  tilesetPath: string;
  idIndexPath: string;
}

const MAXIMUM_KEPT_WARNINGS = 1_000;
const INPUT_EXTENSIONS = /\.(gml|xml|json|jsonl)(\.gz)?$|\.gz$/i;

/** Lists the input files: files as given, folders searched recursively by extension, sorted for determinism. */
export function listInputFiles(inputs: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const visit = (entry: string, explicit: boolean) => {
    if (!existsSync(entry)) {
      missing.push(entry);
      return;
    }
    const stat = statSync(entry);
    if (stat.isDirectory()) {
      for (const name of readdirSync(entry).sort()) visit(path.join(entry, name), false);
    } else if (explicit || INPUT_EXTENSIONS.test(entry)) files.push(entry);
  };
  for (const input of inputs) visit(input, true);
  return { files, missing };
}

function isJsonFile(file: string): boolean {
  return /\.(json|jsonl)(\.gz)?$/i.test(file);
}

/**
 * Converts CityGML / CityJSON files into a 3D Tiles 1.1 tileset in `options.outDirectory`.
 * @throws TilerUsageError for invalid options (no inputs, a `crs` that cannot be resolved).
 * @throws DataError when nothing usable was produced (every file or object failed); the message lists why.
 */
export async function convertCityModels(options: ConvertOptions): Promise<ConversionSummary> {
  const started = performance.now();
  if (!options.inputs || options.inputs.length === 0)
    throw new TilerUsageError('no input files or folders given');
  if (!options.outDirectory) throw new TilerUsageError('no output directory given (--out)');
  const heightOffset = options.heightOffset ?? 0;
  if (!Number.isFinite(heightOffset)) throw new TilerUsageError('--height-offset must be a number of metres');
  let overrideCrs: TilerCrs | undefined;
  if (options.crs !== undefined) {
    try {
      overrideCrs = resolveCrs(options.crs);
    } catch (error) {
      throw new TilerUsageError(`--crs ${options.crs}: ${(error as Error).message}`);
    }
  }
  const acceptType = createTypeFilter(options.types);
  const warnings: ConversionWarning[] = [];
  let warningCount = 0;
  const warn = (warning: ConversionWarning) => {
    warningCount++;
    if (warnings.length < MAXIMUM_KEPT_WARNINGS) warnings.push(warning);
  };
  const { files, missing } = listInputFiles(options.inputs);
  for (const entry of missing) warn({ file: entry, message: 'does not exist' });
  if (files.length === 0)
    throw new DataError('no CityGML or CityJSON input files found', options.inputs.join(', '));

  const bytesTotal = files.reduce((sum, file) => sum + statSync(file).size, 0);
  let store: FeatureStore;
  try {
    mkdirSync(options.outDirectory, { recursive: true });
    rmSync(path.join(options.outDirectory, 'tiles'), { recursive: true, force: true });
    store = new FeatureStore(
      path.join(options.outDirectory, `.plaza-tiler-${process.pid}-${Date.now()}.spill`),
    );
  } catch (error) {
    throw new TilerUsageError(
      `cannot write to the output directory ${options.outDirectory} (${(error as Error).message})`,
    );
  }
  const materials = new MaterialTable();
  const schema = new SchemaCollector();
  const seenIds = new Set<string>();
  const crsCache = new Map<string, { crs: TilerCrs; transform: HorizontalTransform } | CrsResolutionError>();
  const crsUsed = new Set<string>();
  const verticalUsed = new Set<string>();
  let bytesDone = 0;
  let features = 0;
  let lastProgress = 0;
  const report = (bytesInFile: number, force = false) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    options.onProgress({ features, bytesRead: bytesDone + bytesInFile, bytesTotal, tiles: 0 });
  };

  try {
    for (const file of files) {
      const reportedCrsProblems = new Set<string>();
      let bytesInFile = 0;
      const onObject = (record: CityObjectRecord) => {
        let placement: { crs: TilerCrs; transform: HorizontalTransform } | CrsResolutionError;
        if (overrideCrs) {
          const key = `override:${overrideCrs.label}`;
          placement = crsCache.get(key) ?? {
            crs: overrideCrs,
            transform: createHorizontalTransform(overrideCrs),
          };
          crsCache.set(key, placement);
        } else if (record.srsName === undefined) {
          placement = new CrsResolutionError('the file declares no CRS');
        } else {
          const cached = crsCache.get(record.srsName);
          if (cached) placement = cached;
          else {
            try {
              const crs = resolveCrs(record.srsName);
              placement = { crs, transform: createHorizontalTransform(crs) };
            } catch (error) {
              placement =
                error instanceof CrsResolutionError
                  ? error
                  : new CrsResolutionError((error as Error).message);
            }
            crsCache.set(record.srsName, placement);
          }
        }
        if (placement instanceof CrsResolutionError) {
          if (!reportedCrsProblems.has(placement.message)) {
            reportedCrsProblems.add(placement.message);
            warn({
              file,
              line: record.line,
              message: `${placement.message}; objects skipped. Pass --crs <EPSG code | proj4 string> to place them`,
            });
          }
          return;
        }
        if (seenIds.has(record.id)) {
          warn({
            file,
            line: record.line,
            message: `duplicate id ${record.id}: this ${record.type} is skipped, the first one is kept`,
          });
          return;
        }
        const object = triangulateObject(
          record,
          placement.transform,
          { offset: heightOffset },
          materials,
          warn,
        );
        if (!object) {
          warn({
            file,
            line: record.line,
            message: `${record.type} ${record.id}: no usable polygon; skipped`,
          });
          return;
        }
        seenIds.add(record.id);
        crsUsed.add(placement.crs.label);
        if (placement.crs.verticalName) verticalUsed.add(placement.crs.verticalName);
        schema.observe(object.attributes);
        store.add(object);
        features++;
        report(bytesInFile);
      };
      const onBytes = (bytes: number) => {
        bytesInFile = bytes;
        report(bytes);
      };
      try {
        if (isJsonFile(file))
          await readCityJson(file, { lod: options.lod, acceptType, onObject, onWarning: warn, onBytes });
        else await readCityGml(file, { lod: options.lod, acceptType, onObject, onWarning: warn, onBytes });
      } catch (error) {
        if (!(error instanceof DataError)) throw error;
        warn({ file: error.file, line: error.line, message: error.detail });
      }
      bytesDone += statSync(file).size;
      report(0, true);
    }

    if (store.entries.length === 0) {
      const reasons = warnings
        .slice(0, 5)
        .map((warning) => `${warning.file}${warning.line ? `:${warning.line}` : ''}: ${warning.message}`)
        .join('; ');
      throw new DataError(`nothing usable was converted${reasons ? ` (${reasons})` : ''}`, files.join(', '));
    }

    const root = buildQuadtree(store.entries, { maximumLeafVertices: options.maximumLeafVertices });
    const written = writeTileset(root, {
      outDirectory: options.outDirectory,
      store,
      schema: schema.build(),
      materials,
      compress: options.compress ?? true,
      onTile: (tiles) => options.onProgress?.({ features, bytesRead: bytesTotal, bytesTotal, tiles }),
    });
    if (schema.dropped > 0)
      warn({
        file: files[0],
        message: `more than 256 distinct attributes; ${schema.dropped} attribute value(s) left out of the metadata`,
      });
    const vertical = verticalUsed.size > 0 ? [...verticalUsed].join(', ') : 'unspecified vertical datum';
    const heightHandling =
      `horizontal only: source heights (${vertical}) kept as heights above the WGS84 ellipsoid` +
      `${heightOffset !== 0 ? `, ${heightOffset > 0 ? '+' : ''}${heightOffset} m offset added` : ', no offset'}; ` +
      'no geoid model or datum shift applied to heights (set --height-offset to the local geoid undulation for ellipsoidal heights)';
    return {
      features,
      tiles: written.tiles,
      bytes: written.bytes,
      seconds: (performance.now() - started) / 1000,
      warnings,
      warningCount,
      crs: [...crsUsed].join('; '),
      heightHandling,
      tilesetPath: written.tilesetPath,
      idIndexPath: written.idIndexPath,
    };
  } finally {
    store.dispose();
  }
}
