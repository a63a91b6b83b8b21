// Runs a tiler reader (CityGML or CityJSON) and collects what it emits, for reader tests.
import type { ConversionWarning } from '../../../../server/tiler/errors';
import type { CityObjectRecord } from '../../../../server/tiler/model';

interface ReaderOptions {
  onObject: (record: CityObjectRecord) => void;
  onWarning: (warning: ConversionWarning) => void;
}

/** The records and warnings a reader emitted, its result, and the records by id. */
export async function readRecords<Options extends ReaderOptions, Result>(
  reader: (file: string, options: Options) => Promise<Result>,
  file: string,
  options: Partial<Options> = {},
) {
  const records: CityObjectRecord[] = [];
  const warnings: ConversionWarning[] = [];
  const result = await reader(file, {
    onObject: (record: CityObjectRecord) => records.push(record),
    onWarning: (warning: ConversionWarning) => warnings.push(warning),
    ...options,
  } as unknown as Options);
  return { records, warnings, result, byId: new Map(records.map((record) => [record.id, record])) };
}
