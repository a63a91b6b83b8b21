// The tiler's public entry: convert CityGML / CityJSON files into a 3D Tiles 1.1 tileset with an id index.
export { convertCityModels, listInputFiles } from './pipeline';
export type { ConversionProgress, ConversionSummary, ConvertOptions } from './pipeline';
export { DataError, TilerUsageError } from './errors';
export type { ConversionWarning } from './errors';
export { resolveCrs, CrsResolutionError, ecefToGeodetic, geodeticToEcef } from './crs';
export type { TilerCrs } from './crs';
export { ID_INDEX_FILE } from './stages/write-tileset';
export { readIdIndex } from './id-index';
export type { IdIndex, IdIndexEntry } from './id-index';
