// Stage: convert one unit of work (a whole file, or a byte range of a large CityGML file) into triangulated objects in
// a spill store. The same function runs in the main thread (small inputs) and in each worker (large inputs); what it
// returns is plain data that the pipeline merges in input order (duplicates, line numbers, CRS and schema).
import { CrsResolutionError, createHorizontalTransform, resolveCrs } from '../crs';
import type { HorizontalTransform, TilerCrs } from '../crs';
import { DataError } from '../errors';
import type { ConversionWarning } from '../errors';
import { createTypeFilter } from '../model';
import type { CityObjectRecord } from '../model';
import { FeatureIndex } from './feature-store';
import type { FeatureIndexData, FeatureStore } from './feature-store';
import { SchemaCollector } from './metadata-schema';
import type { SchemaSnapshot } from './metadata-schema';
import type { ByteRange } from './open-input';
import { readCityGml } from './read-citygml';
import { readCityJson } from './read-cityjson';
import { triangulateObject } from './triangulate';
import type { MaterialTable } from './triangulate';

/** A file, or a part of one, converted as a unit. */
export interface ConversionUnit {
  /** Position in the conversion's list of units (input order). */
  index: number;
  file: string;
  /** Index of the file in the input list. */
  fileIndex: number;
  /** True when planning found appearances in this CityGML file (so the reader does not scan it again). */
  hasAppearances?: boolean;
  /** Set when the unit is a part of a large CityGML file. */
  range?: ByteRange & {
    /** Newlines in `header`: the header's lines are repeated before the range's first line. */
    headerNewlines: number;
  };
}

/** Conversion settings every unit shares (plain data: sent to workers). */
export interface UnitSettings {
  crs?: string;
  heightOffset: number;
  lod?: number;
  types?: string[];
}

/** The outcome of one unit, as plain data. */
export interface UnitResult {
  index: number;
  /** The unit's objects, in reading order (a FeatureIndex as data: compact and cheap to send between threads). */
  entries: FeatureIndexData;
  warnings: ConversionWarning[];
  warningCount: number;
  /**
   * CRS problems (objects skipped until `--crs` is given), the first of each kind: kept apart from `warnings` so that
   * a file cut into parts reports each once.
   */
  crsProblems: ConversionWarning[];
  crs: string[];
  vertical: string[];
  schema: SchemaSnapshot;
  /** Lines of the document read (header included for ranges), to map a range's line numbers onto the file. */
  documentLines: number;
  /**
   * For ranges: true when the part could not stand on its own (a reference into another part, malformed markup at a
   * cut); the pipeline then converts the file as a whole and drops this result.
   */
  incomplete: boolean;
}

const MAXIMUM_UNIT_WARNINGS = 1_000;

/** What a thread keeps between units: its store, material table and resolved CRSs. */
export interface UnitWorkspace {
  store: FeatureStore;
  materials: MaterialTable;
  settings: UnitSettings;
  /**
   * True when the units' results are used in this thread (no workers): their indexes are handed over as views rather
   * than trimmed copies, which would briefly hold every index twice at the end of reading.
   */
  inThread?: boolean;
  crsCache?: Map<string, { crs: TilerCrs; transform: HorizontalTransform } | CrsResolutionError>;
  overrideCrs?: TilerCrs;
}

/** True for CityJSON inputs (by name: `.json`, `.jsonl`, possibly gzipped); everything else is read as CityGML. */
export function isJsonFile(file: string): boolean {
  return /\.(json|jsonl)(\.gz)?$/i.test(file);
}

/**
 * Converts one unit: reads its objects, places and triangulates them, appends them to the workspace's store.
 * Bad objects become warnings; a file that cannot be read at all becomes one warning (DataError), not an exception.
 * @param onProgress called with objects converted and file bytes read so far in this unit.
 */
export async function convertUnit(
  unit: ConversionUnit,
  workspace: UnitWorkspace,
  onProgress?: (features: number, bytes: number) => void,
): Promise<UnitResult> {
  const { settings, store, materials } = workspace;
  const crsCache = (workspace.crsCache ??= new Map());
  if (settings.crs !== undefined && !workspace.overrideCrs) workspace.overrideCrs = resolveCrs(settings.crs);
  const overrideCrs = workspace.overrideCrs;
  const acceptType = createTypeFilter(settings.types);
  const heightOffset = settings.heightOffset;
  const file = unit.file;
  const schema = new SchemaCollector();
  const entries = new FeatureIndex();
  const warnings: ConversionWarning[] = [];
  let warningCount = 0;
  const warn = (warning: ConversionWarning) => {
    warningCount++;
    if (warnings.length < MAXIMUM_UNIT_WARNINGS) warnings.push(warning);
  };
  const crsUsed = new Set<string>();
  const verticalUsed = new Set<string>();
  const crsProblems = new Map<string, ConversionWarning>();
  let bytes = 0;

  const placementOf = (record: CityObjectRecord) => {
    if (overrideCrs) {
      const key = `override:${overrideCrs.label}`;
      const placement = crsCache.get(key) ?? {
        crs: overrideCrs,
        transform: createHorizontalTransform(overrideCrs),
      };
      crsCache.set(key, placement);
      return placement;
    }
    if (record.srsName === undefined) return new CrsResolutionError('the file declares no CRS');
    const cached = crsCache.get(record.srsName);
    if (cached) return cached;
    let placement: { crs: TilerCrs; transform: HorizontalTransform } | CrsResolutionError;
    try {
      const crs = resolveCrs(record.srsName);
      placement = { crs, transform: createHorizontalTransform(crs) };
    } catch (error) {
      placement =
        error instanceof CrsResolutionError ? error : new CrsResolutionError((error as Error).message);
    }
    crsCache.set(record.srsName, placement);
    return placement;
  };

  const onObject = (record: CityObjectRecord) => {
    const placement = placementOf(record);
    if (placement instanceof CrsResolutionError) {
      if (!crsProblems.has(placement.message))
        crsProblems.set(placement.message, {
          file,
          line: record.line,
          message: `${placement.message}; objects skipped. Pass --crs <EPSG code | proj4 string> to place them`,
        });
      return;
    }
    const object = triangulateObject(record, placement.transform, { offset: heightOffset }, materials, warn);
    if (!object) {
      warn({ file, line: record.line, message: `${record.type} ${record.id}: no usable polygon; skipped` });
      return;
    }
    crsUsed.add(placement.crs.label);
    if (placement.crs.verticalName) verticalUsed.add(placement.crs.verticalName);
    schema.observe(object.attributes);
    entries.push(store.add(object, record.line));
    onProgress?.(entries.length, bytes);
  };
  const onBytes = (read: number) => {
    bytes = read;
    onProgress?.(entries.length, bytes);
  };

  let documentLines = 0;
  let incomplete = false;
  try {
    if (isJsonFile(file))
      await readCityJson(file, { lod: settings.lod, acceptType, onObject, onWarning: warn, onBytes });
    else {
      const read = await readCityGml(file, {
        lod: settings.lod,
        acceptType,
        onObject,
        onWarning: warn,
        onBytes,
        range: unit.range,
        hasAppearances: unit.hasAppearances,
      });
      documentLines = read.lines;
      if (unit.range && read.unresolved > 0) incomplete = true;
    }
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    // A part cut out of a file must parse on its own; if it does not, the whole file is read to find out why.
    if (unit.range) incomplete = true;
    warn({ file: error.file, line: error.line, message: error.detail });
  }
  return {
    index: unit.index,
    entries: entries.toData(!workspace.inThread),
    warnings,
    warningCount,
    crsProblems: [...crsProblems.values()],
    crs: [...crsUsed],
    vertical: [...verticalUsed],
    schema: schema.snapshot(),
    documentLines,
    incomplete,
  };
}
