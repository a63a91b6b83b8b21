// The tiler's in-memory model of one city object as the readers emit it, before triangulation and tiling.

/** What a surface is, for its neutral colour when the data gives none. */
export type SurfaceKind =
  | 'roof'
  | 'wall'
  | 'ground'
  | 'closure'
  | 'opening'
  | 'terrain'
  | 'vegetation'
  | 'water'
  | 'transport'
  | 'landUse'
  | 'furniture'
  | 'bridge'
  | 'generic';

/** RGBA, 0..1. */
export type Rgba = [number, number, number, number];

/** One planar polygon in source CRS coordinates. */
export interface SourcePolygon {
  /** Exterior ring first, then holes; each ring is x,y,z triples without the closing vertex. */
  rings: number[][];
  kind: SurfaceKind;
  color?: Rgba;
  /** A texture whose image exists: the image path and u,v pairs per ring (same vertex count as the ring). */
  texture?: { image: string; uvs: number[][] };
  /** Line where the polygon starts, for warnings. */
  line?: number;
}

export type AttributeValue = string | number | boolean;

/** A city object with the surfaces of the one LOD chosen for it. */
export interface CityObjectRecord {
  /** Persistent id (gml:id or CityJSON key). */
  id: string;
  /** The id of the Building (Bridge, …) that this part belongs to. */
  parentId?: string;
  /** CityGML class name, e.g. `Building`, `BuildingPart`, `TINRelief`. */
  type: string;
  lod: number;
  attributes: Record<string, AttributeValue>;
  polygons: SourcePolygon[];
  /** The srsName (or CityJSON referenceSystem) that applies, if any. */
  srsName?: string;
  file: string;
  line?: number;
}

/** Neutral colours per surface kind, used when neither a material nor a texture applies. */
export const SURFACE_COLORS: Record<SurfaceKind, Rgba> = {
  roof: [0.66, 0.3, 0.24, 1],
  wall: [0.92, 0.9, 0.85, 1],
  ground: [0.5, 0.5, 0.5, 1],
  closure: [0.8, 0.8, 0.8, 1],
  opening: [0.4, 0.55, 0.7, 1],
  terrain: [0.55, 0.6, 0.45, 1],
  vegetation: [0.33, 0.58, 0.3, 1],
  water: [0.3, 0.5, 0.8, 1],
  transport: [0.45, 0.45, 0.48, 1],
  landUse: [0.7, 0.75, 0.55, 1],
  furniture: [0.6, 0.5, 0.4, 1],
  bridge: [0.7, 0.7, 0.68, 1],
  generic: [0.8, 0.8, 0.8, 1],
};

/** Object types per family; `--types` accepts a family name or an exact type. */
export const TYPE_FAMILIES: Record<string, string[]> = {
  Building: ['Building', 'BuildingPart'],
  Bridge: ['Bridge', 'BridgePart'],
  Tunnel: ['Tunnel', 'TunnelPart'],
  Relief: ['TINRelief'],
  Vegetation: ['SolitaryVegetationObject', 'PlantCover'],
  Transportation: [
    'Road',
    'Railway',
    'Track',
    'Square',
    'TransportationComplex',
    'Intersection',
    'Section',
    'Waterway',
    'TransportSquare',
  ],
  LandUse: ['LandUse'],
  WaterBody: ['WaterBody'],
  CityFurniture: ['CityFurniture'],
  GenericCityObject: [
    'GenericCityObject',
    'GenericOccupiedSpace',
    'GenericUnoccupiedSpace',
    'GenericLogicalSpace',
    'GenericThematicSurface',
  ],
};

/** Every object type the readers turn into features. */
export const CITY_OBJECT_TYPES: ReadonlySet<string> = new Set(Object.values(TYPE_FAMILIES).flat());

/** The default surface kind of an object type. */
export function defaultKindOf(type: string): SurfaceKind {
  if (type.startsWith('Building')) return 'wall';
  if (type.startsWith('Bridge')) return 'bridge';
  if (type === 'TINRelief') return 'terrain';
  if (type === 'SolitaryVegetationObject' || type === 'PlantCover') return 'vegetation';
  if (type === 'WaterBody') return 'water';
  if (type === 'LandUse') return 'landUse';
  if (type === 'CityFurniture') return 'furniture';
  if (TYPE_FAMILIES.Transportation.includes(type)) return 'transport';
  return 'generic';
}

/** Surface kinds of CityGML thematic surfaces (and CityJSON semantic surface types). */
export const THEMATIC_KINDS: Readonly<Record<string, SurfaceKind>> = {
  RoofSurface: 'roof',
  WallSurface: 'wall',
  InteriorWallSurface: 'wall',
  GroundSurface: 'ground',
  FloorSurface: 'ground',
  OuterFloorSurface: 'ground',
  CeilingSurface: 'roof',
  OuterCeilingSurface: 'roof',
  ClosureSurface: 'closure',
  Window: 'opening',
  Door: 'opening',
  WaterSurface: 'water',
  WaterGroundSurface: 'ground',
  WaterClosureSurface: 'closure',
  TrafficArea: 'transport',
  AuxiliaryTrafficArea: 'transport',
  TransportationMarking: 'transport',
  TransportationHole: 'transport',
};

/**
 * Builds the type filter for `--types` (family names or exact types, case-insensitive).
 * @returns undefined when every type is accepted.
 */
export function createTypeFilter(types: string[] | undefined): ((type: string) => boolean) | undefined {
  if (!types || types.length === 0) return undefined;
  const accepted = new Set<string>();
  for (const name of types) {
    const lower = name.trim().toLowerCase();
    for (const [family, members] of Object.entries(TYPE_FAMILIES)) {
      if (family.toLowerCase() === lower) members.forEach((member) => accepted.add(member));
      for (const member of members) if (member.toLowerCase() === lower) accepted.add(member);
    }
  }
  return (type) => accepted.has(type);
}
