// The conversion pipeline: read (CityGML / CityJSON) → place and triangulate → spill → quadtree → GLB tiles,
// tileset.json and id index. Bad objects and files are listed as warnings; only "nothing usable" is an error.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { resolveCrs } from './crs';
import { createStaging, publishStaging, removeStaging } from './output-directory';
import { DataError, TilerUsageError } from './errors';
import type { ConversionWarning } from './errors';
import { collectGarbage } from './memory';
import { TilerWorkerPool } from './parallel/worker-pool';
import { buildQuadtree } from './stages/build-quadtree';
import { convertUnit } from './stages/convert-unit';
import type { ConversionUnit, UnitResult, UnitSettings, UnitWorkspace } from './stages/convert-unit';
import { FeatureIndex, FeatureStore, IdSet } from './stages/feature-store';
import { SchemaCollector } from './stages/metadata-schema';
import { planUnits } from './stages/split-input';
import { MaterialTable } from './stages/triangulate';
import type { MaterialSnapshot } from './stages/triangulate';
import {
  ID_INDEX_FILE,
  TILESET_FILE,
  TileWriter,
  prismEntriesOf,
  writeTileset,
} from './stages/write-tileset';
import type { TilePlan, TileTask, TileWriterSetup } from './stages/write-tileset';

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
  /**
   * Worker threads: 1 converts in this thread; default: one per CPU core (at most 8) when the input is at least
   * {@link parallelMinimumBytes}, else 1.
   */
  workers?: number;
  /** Bytes per part when a large CityGML file is split across workers (default 8 MB). */
  partBytes?: number;
}

/** Progress as reported while converting. */
export interface ConversionProgress {
  features: number;
  bytesRead: number;
  bytesTotal: number;
  /** Tiles written so far (0 while reading). */
  tiles: number;
  /** Tiles to write (0 while reading). */
  tilesTotal?: number;
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
/**
 * Inputs smaller than this are converted in the calling thread. Each worker compiles the tiler anew and V8 already
 * keeps a second core busy with compiling and collecting for one thread, so on fewer than four cores workers are not
 * started unless asked for (`--workers n`): on two cores, 626 MB of CityGML took 12.9 s with two workers against 13.3 s
 * in one thread when nothing else ran, but 17.2 s as soon as something else did, for 30% more CPU time and 85% more
 * peak RSS (174 against 93 MB); 125 MB were no faster. From four cores, workers pay off from about 30 MB.
 */
export function parallelMinimumBytes(cores: number): number {
  return cores >= 4 ? 32 << 20 : Number.POSITIVE_INFINITY;
}
const DEFAULT_PART_BYTES = 8 << 20;
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

/**
 * Copies every input that is not a regular file (a pipe such as `<(zcat x.gml.gz)`, /dev/stdin fed by a pipe) into
 * `<staging>/inputs/`, keeping its name so its format is still told by its extension: the readers open a file more than
 * once (gzip sniffing, the appearance pre-scan, xlink passes), and a pipe can be read only once. Returns the paths to
 * read, in input order.
 */
async function spoolUnseekableInputs(files: string[], staging: string): Promise<string[]> {
  const readable: string[] = [];
  for (const [index, file] of files.entries()) {
    if (statSync(file).isFile()) {
      readable.push(file);
      continue;
    }
    const directory = path.join(staging, 'inputs');
    mkdirSync(directory, { recursive: true });
    const copy = path.join(directory, `${index}-${path.basename(file)}`);
    await pipeline(createReadStream(file), createWriteStream(copy));
    readable.push(copy);
  }
  return readable;
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
  if (options.crs !== undefined) {
    try {
      resolveCrs(options.crs);
    } catch (error) {
      throw new TilerUsageError(`--crs ${options.crs}: ${(error as Error).message}`);
    }
  }
  const workersWanted = options.workers ?? 0;
  if (!Number.isInteger(workersWanted) || workersWanted < 0)
    throw new TilerUsageError('--workers must be a whole number (1 = no worker threads)');
  const settings: UnitSettings = {
    crs: options.crs,
    heightOffset,
    lod: options.lod,
    types: options.types,
  };
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

  // Everything goes to a staging folder inside the output folder; the previous tileset is replaced only at the end.
  let staging: string;
  try {
    staging = createStaging(options.outDirectory);
  } catch (error) {
    throw new TilerUsageError(
      `cannot write to the output directory ${options.outDirectory} (${(error as Error).message})`,
    );
  }
  let pool: TilerWorkerPool | undefined;
  let store: FeatureStore | undefined;
  let workspace: UnitWorkspace | undefined;
  try {
    const readable = await spoolUnseekableInputs(files, staging);
    // Warnings name the inputs as given, not their copies.
    const givenNames = new Map(readable.map((file, index) => [file, files[index]]));
    const givenName = (file: string) => givenNames.get(file) ?? file;
    const sizes = readable.map((file) => statSync(file).size);
    const bytesTotal = sizes.reduce((sum, size) => sum + size, 0);
    const cores = availableParallelism();
    const workerCount =
      workersWanted > 0 ? workersWanted : bytesTotal >= parallelMinimumBytes(cores) ? Math.min(cores, 8) : 1;
    const units =
      workerCount > 1
        ? await planUnits(readable, { partBytes: options.partBytes ?? DEFAULT_PART_BYTES })
        : readable.map((file, index): ConversionUnit => ({ index, file, fileIndex: index }));
    const spillPaths = Array.from({ length: workerCount }, (_, index) =>
      path.join(staging, `${index}.spill`),
    );

    // Progress: bytes of finished units plus what each running unit has read.
    let featuresDone = 0;
    let bytesDone = 0;
    const running = new Map<number, { features: number; bytes: number }>();
    let lastProgress = 0;
    const report = (force = false) => {
      if (!options.onProgress) return;
      const now = performance.now();
      if (!force && now - lastProgress < 100) return;
      lastProgress = now;
      let features = featuresDone;
      let bytesRead = bytesDone;
      for (const unit of running.values()) {
        features += unit.features;
        bytesRead += unit.bytes;
      }
      options.onProgress({ features, bytesRead: Math.min(bytesRead, bytesTotal), bytesTotal, tiles: 0 });
    };
    const unitBytes = (unit: ConversionUnit) =>
      unit.range ? unit.range.end - unit.range.start : sizes[unit.fileIndex];
    const progressOf = (unit: ConversionUnit) => (features: number, bytes: number) => {
      running.set(unit.index, { features, bytes });
      report();
    };
    const finished = (unit: ConversionUnit, result: UnitResult) => {
      running.delete(unit.index);
      featuresDone += result.entries.length;
      bytesDone += unitBytes(unit);
      report(true);
      return result;
    };

    let convert: (unit: ConversionUnit) => Promise<UnitResult>;
    if (workerCount > 1) {
      pool = await TilerWorkerPool.start(workerCount, spillPaths, settings);
      const workers = pool;
      convert = async (unit) =>
        finished(
          unit,
          (await workers.run<'unit-done'>({ type: 'unit', unit }, { onProgress: progressOf(unit) })).result,
        );
    } else {
      const local: UnitWorkspace = (workspace = {
        store: (store = new FeatureStore(spillPaths[0], 0)),
        materials: new MaterialTable(),
        settings,
        inThread: true,
      });
      convert = async (unit) => finished(unit, await convertUnit(unit, local, progressOf(unit)));
    }

    const results = await Promise.all(units.map(convert));
    // A file with a part that could not stand alone is converted again as a whole; its parts' results are dropped.
    const redo = new Set(
      units.filter((unit) => unit.range && results[unit.index].incomplete).map((unit) => unit.fileIndex),
    );
    const wholeResults = new Map<number, UnitResult>();
    await Promise.all(
      [...redo].map(async (fileIndex) => {
        const unit: ConversionUnit = {
          index: units.length + fileIndex,
          file: readable[fileIndex],
          fileIndex,
        };
        bytesDone -= sizes[fileIndex];
        wholeResults.set(fileIndex, await convert(unit));
      }),
    );

    // Merge in input order: duplicates (the first one is kept), line numbers of parts, CRS, schema.
    let entries = new FeatureIndex();
    // The ids kept so far, as objects of `entries` (made with the first unit that is copied into it).
    let keptIds: IdSet | undefined;
    const schema = new SchemaCollector();
    const crsUsed = new Set<string>();
    const verticalUsed = new Set<string>();
    const crsProblems = new Set<string>();
    let linesBefore = 0;
    let currentFile = -1;
    const mergeResult = (unit: ConversionUnit, result: UnitResult, only: boolean) => {
      if (unit.fileIndex !== currentFile) {
        currentFile = unit.fileIndex;
        linesBefore = 0;
      }
      const range = unit.range;
      const headerNewlines = range?.headerNewlines ?? 0;
      // Lines of a part's repeated header stay; the part's own lines move by the lines before it in the file (a whole
      // file and a file's first part have neither).
      const mapLine = (line: number | undefined) =>
        line === undefined || line <= headerNewlines ? line : line - headerNewlines + linesBefore;
      const report = (warning: ConversionWarning) => {
        const mapped = { ...warning, file: givenName(warning.file), line: mapLine(warning.line) };
        if (mapped.line === undefined) delete mapped.line;
        warn(mapped);
      };
      // The same CRS problem is reported once per file, not once per part.
      for (const problem of result.crsProblems) {
        const key = `${problem.file}\n${problem.message}`;
        if (crsProblems.has(key)) continue;
        crsProblems.add(key);
        report(problem);
      }
      result.warnings.forEach(report);
      warningCount += result.warningCount - result.warnings.length;
      const unitEntries = FeatureIndex.fromData(result.entries);
      // The only result, of a whole file, is taken over as it is when it has no duplicates (its lines need no mapping
      // and its types are numbered in the same order), not copied object by object; its ids are then checked against
      // each other. Otherwise each object is copied unless its id was kept before.
      const takeOver = only && !range;
      const seen = takeOver ? new IdSet(unitEntries, unitEntries.length) : (keptIds ??= new IdSet(entries));
      const duplicates = new Uint8Array(takeOver ? unitEntries.length : 0);
      let duplicateCount = 0;
      if (!takeOver) entries.reserve(entries.length + unitEntries.length);
      for (let position = 0; position < unitEntries.length; position++) {
        if (seen.has(unitEntries, position)) {
          if (takeOver) duplicates[position] = 1;
          duplicateCount++;
          warn({
            file: givenName(unit.file),
            line: mapLine(unitEntries.lineAt(position)),
            message: `duplicate id ${unitEntries.idAt(position)}: this ${unitEntries.typeAt(position)} is skipped, the first one is kept`,
          });
        } else if (takeOver) seen.add(position);
        else {
          entries.pushFrom(unitEntries, position, mapLine(unitEntries.lineAt(position)));
          seen.add(entries.length - 1);
        }
      }
      if (takeOver && duplicateCount === 0) entries = unitEntries;
      else if (takeOver) {
        entries.reserve(unitEntries.length - duplicateCount);
        for (let position = 0; position < unitEntries.length; position++)
          if (duplicates[position] === 0)
            entries.pushFrom(unitEntries, position, mapLine(unitEntries.lineAt(position)));
      }
      result.crs.forEach((label) => crsUsed.add(label));
      result.vertical.forEach((name) => verticalUsed.add(name));
      schema.merge(result.schema);
      if (range) linesBefore += result.documentLines - 1 - headerNewlines;
    };
    // The merged index holds what is needed from here on; the units' indexes can go. (The loop runs in a function of its
    // own so that no register of this long-lived frame keeps the last unit's result alive.)
    const mergeAll = () => {
      const merged: Array<[ConversionUnit, UnitResult]> = [];
      for (const unit of units) {
        if (redo.has(unit.fileIndex)) {
          const whole = wholeResults.get(unit.fileIndex);
          if (whole && unit.range?.start === 0) merged.push([{ ...unit, range: undefined }, whole]);
          continue;
        }
        merged.push([unit, results[unit.index]]);
      }
      results.length = 0;
      wholeResults.clear();
      // Sized once: no copies while growing, and no room left over for the rest of the conversion. (The only result,
      // as in a one-thread conversion of one file, is usually taken over rather than copied; see mergeResult.)
      const only = merged.length === 1;
      if (!only) entries.reserve(merged.reduce((sum, [, result]) => sum + result.entries.length, 0));
      for (let next = merged.shift(); next; next = merged.shift()) mergeResult(...next, only);
      keptIds = undefined;
    };
    mergeAll();
    // What reading left behind (the units' indexes, the id set) goes before tiles are planned and written.
    collectGarbage();

    if (entries.length === 0) {
      const reasons = warnings
        .slice(0, 5)
        .map((warning) => `${warning.file}${warning.line ? `:${warning.line}` : ''}: ${warning.message}`)
        .join('; ');
      throw new DataError(`nothing usable was converted${reasons ? ` (${reasons})` : ''}`, files.join(', '));
    }

    // One material table for every tile, sorted by key, so the output does not depend on the thread that read what.
    let snapshots: MaterialSnapshot[];
    if (pool) {
      const workers = pool;
      snapshots = await Promise.all(
        Array.from(
          { length: workers.size },
          async (_, slot) => (await workers.run<'sealed'>({ type: 'seal' }, { slot })).materials,
        ),
      );
    } else {
      store!.flush();
      snapshots = [workspace!.materials.snapshot()];
    }
    const canonical = MaterialTable.canonical(snapshots);
    // Parent tiles draw prisms with the roof and wall colours.
    canonical.table.intern('roof', undefined);
    canonical.table.intern('wall', undefined);
    const setup: TileWriterSetup = {
      outDirectory: staging,
      materials: canonical.table.snapshot(),
      remaps: canonical.remaps,
      schema: schema.build(),
      compress: options.compress ?? true,
      spillPaths,
    };

    const root = buildQuadtree(entries, { maximumLeafVertices: options.maximumLeafVertices });
    const taskOf = (plan: TilePlan): TileTask =>
      plan.leaf
        ? {
            uri: plan.uri,
            leaf: true,
            entries: Array.from(plan.features, (index) => entries.spillEntryAt(index)),
          }
        : { uri: plan.uri, leaf: false, entries: prismEntriesOf(plan, entries) };
    const runTiles = async (plans: TilePlan[], onTile: () => void): Promise<number> => {
      let bytes = 0;
      let largestLeafBytes = 0;
      for (const plan of plans) {
        if (!plan.leaf) continue;
        let leafBytes = 0;
        for (const index of plan.features) leafBytes += entries.lengthAt(index);
        largestLeafBytes = Math.max(largestLeafBytes, leafBytes);
      }
      const tileSetup: TileWriterSetup = { ...setup, largestLeafBytes };
      if (pool) {
        const workers = pool;
        await Promise.all(
          Array.from({ length: workers.size }, (_, slot) =>
            workers.run<'ready'>({ type: 'tile-setup', setup: tileSetup }, { slot }),
          ),
        );
        // The biggest tiles first, so that every thread stays busy to the end; one task per worker in flight.
        const ordered = [...plans].sort((a, b) => b.features.length - a.features.length);
        let next = 0;
        await Promise.all(
          Array.from({ length: workers.size }, async () => {
            while (next < ordered.length) {
              const task = taskOf(ordered[next++]);
              const reply = await workers.run<'tile-done'>({ type: 'tile', task });
              bytes += reply.bytes;
              onTile();
            }
          }),
        );
      } else {
        const writer = new TileWriter(tileSetup);
        try {
          for (const plan of plans) {
            bytes += writer.write(taskOf(plan));
            onTile();
            // Let the event loop run between tiles (an interrupted CLI cleans up in a signal listener).
            await new Promise((resolve) => setImmediate(resolve));
          }
        } finally {
          writer.close();
        }
      }
      return bytes;
    };
    const written = await writeTileset(root, {
      outDirectory: staging,
      entries,
      runTiles,
      onTile: (tiles, tilesTotal) =>
        options.onProgress?.({
          features: entries.length,
          bytesRead: bytesTotal,
          bytesTotal,
          tiles,
          tilesTotal,
        }),
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
    publishStaging(staging, options.outDirectory);
    return {
      features: entries.length,
      tiles: written.tiles,
      bytes: written.bytes,
      seconds: (performance.now() - started) / 1000,
      warnings,
      warningCount,
      crs: [...crsUsed].join('; '),
      heightHandling,
      tilesetPath: path.join(options.outDirectory, TILESET_FILE),
      idIndexPath: path.join(options.outDirectory, ID_INDEX_FILE),
    };
  } finally {
    await pool?.close();
    store?.dispose();
    removeStaging(staging);
  }
}
