// The demo district's data model: one deterministic description that the CityGML writer, the public layers and the
// sensor simulator all read, so buildings, streets and sensors line up.

/** WGS84 longitude, latitude in degrees. */
export type LonLat = [longitude: number, latitude: number];
/** EPSG:25832 (ETRS89 / UTM 32N) easting, northing in metres. */
export type EastingNorthing = [easting: number, northing: number];

export type DemoRoofType = 'flat' | 'gabled' | 'hipped';

export interface DemoAddress {
  street: string;
  houseNumber: string;
  postalCode: string;
  city: string;
}

export interface DemoBuilding {
  /** Persistent id, also the CityGML gml:id and the 3D Tiles feature id. */
  id: string;
  name?: string;
  address: DemoAddress;
  /** Footprint ring in EPSG:25832, counter-clockwise, first point repeated last. */
  footprint: EastingNorthing[];
  /** The same ring in WGS84. */
  footprintLonLat: LonLat[];
  /** Terrain height at the footprint (DHHN2016, metres). */
  groundHeight: number;
  /** Height from ground to the highest roof point (metres). */
  measuredHeight: number;
  /**
   * Height from ground to the eaves (metres); equals measuredHeight for flat roofs. For gabled and hipped roofs the
   * ridge runs parallel to the footprint's first edge (footprint[0] -> footprint[1]).
   */
  eavesHeight?: number;
  storeysAboveGround: number;
  roofType: DemoRoofType;
  /** CityGML 2.0 BuildingFunction code (e.g. '1000' residential) and its label. */
  function: { code: string; label: string };
  yearOfConstruction: number;
  districtId: string;
  blockId: string;
}

export interface DemoStreet {
  id: string;
  name: string;
  /** Centre line in WGS84. */
  centerline: LonLat[];
  centerlineProjected: EastingNorthing[];
  widthMetres: number;
  hasBikeLane: boolean;
}

export interface DemoArea {
  id: string;
  name: string;
  /** Outer ring in WGS84, first point repeated last. */
  polygon: LonLat[];
  polygonProjected: EastingNorthing[];
}

export interface DemoTree {
  id: string;
  position: LonLat;
  positionProjected: EastingNorthing;
  species: string;
  heightMetres: number;
}

export interface DemoDistrict {
  name: string;
  crs: 'EPSG:25832';
  /** WGS84 bounds: [west, south, east, north]. */
  bounds: [number, number, number, number];
  buildings: DemoBuilding[];
  streets: DemoStreet[];
  /** Administrative districts (quarters) of the demo city. */
  districts: DemoArea[];
  blocks: DemoArea[];
  parks: DemoArea[];
  trees: DemoTree[];
}
