// The demo city's public entry: the district generator, its LOD2 geometry and the streamed CityGML 2.0 writer.
export {
  createDemoDistrict,
  createRandom,
  DEFAULT_BUILDING_COUNT,
  DEFAULT_SEED,
  DEMO_CITY_CENTER,
  DEMO_CITY_NAME,
  DEMO_DISTRICT_NAME,
  EPSG_25832_PROJ4,
  generateDemoBuildings,
  MAXIMUM_BUILDING_COUNT,
  projectToWgs84,
  terrainHeight,
} from './district';
export type { DemoDistrictOptions } from './district';
export { buildBuildingSurfaces } from './building-geometry';
export type { DemoSurface, DemoSurfaceKind, Point3 } from './building-geometry';
export {
  CITYGML_SRS_NAME,
  computeEnvelope,
  DEMO_INFORMATION_SYSTEM,
  formatBuilding,
  writeCityGml,
} from './citygml-writer';
export type { CityGmlEnvelope, WriteCityGmlOptions, WriteCityGmlProgress } from './citygml-writer';
export type * from './types';
