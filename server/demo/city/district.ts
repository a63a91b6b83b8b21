// The demo district generator: a deterministic, synthetic LOD2 city laid out as a street grid centred on Darmstadt's
// Martinsviertel (Hesse, Germany; ETRS89 / UTM zone 32N, EPSG:25832), with quarters, blocks, named streets, parks,
// street trees and buildings whose footprints, roofs, functions, years and addresses look like a German city.
import proj4 from 'proj4';
import type {
  DemoArea,
  DemoBuilding,
  DemoDistrict,
  DemoRoofType,
  DemoStreet,
  DemoTree,
  EastingNorthing,
  LonLat,
} from './types';

/** proj4 definition of EPSG:25832 (ETRS89 / UTM 32N); ETRS89 is treated as WGS84, as everywhere at metre level. */
export const EPSG_25832_PROJ4 = '+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs';

/**
 * The real place the demo city is built around: the Martinsviertel of Darmstadt, 49.8790 N, 8.6600 E, in EPSG:25832.
 * The grid is centred here whatever the building count, so a 2,000-building district covers the Martinsviertel and
 * larger benchmark cities grow around it.
 */
export const DEMO_CITY_CENTER: EastingNorthing = [475_572, 5_525_233];
export const DEMO_CITY_NAME = 'Darmstadt';
/** The DemoDistrict's name, also the CityGML file's gml:name. */
export const DEMO_DISTRICT_NAME = 'Darmstadt-Martinsviertel (Plaza demo city, synthetic)';
export const DEFAULT_BUILDING_COUNT = 2_400;
export const DEFAULT_SEED = 1;
export const MAXIMUM_BUILDING_COUNT = 2_000_000;

/** Blocks per quarter side: a quarter (district) is 4 x 4 blocks, and a street keeps its name along 4 blocks. */
const BLOCKS_PER_QUARTER = 4;
/** How far a civic block's school and sports hall reach into the block from its south edge (metres). */
const CIVIC_DEPTH_RESERVE = 30;

/** Options of {@link createDemoDistrict}. */
export interface DemoDistrictOptions {
  /** Exact number of buildings (default 2,400; 1 to 2,000,000). */
  buildingCount?: number;
  /** PRNG seed (default 1): the same options always give the same district. */
  seed?: number;
}

/** A seeded PRNG (mulberry32): fast, 32-bit state, good enough for layout. Returns numbers in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * Ground height (DHHN2016, metres) of the demo terrain: the Rhine plain around 144 m rising gently to the east towards
 * the Odenwald, with a soft undulation. Deterministic and smooth (slopes below 1 %).
 */
export function terrainHeight(easting: number, northing: number): number {
  const dx = easting - DEMO_CITY_CENTER[0];
  const dy = northing - DEMO_CITY_CENTER[1];
  return 144 + 0.006 * dx + 0.002 * dy + 1.5 * Math.sin(dx / 400) * Math.cos(dy / 520);
}

const toWgs84 = proj4(EPSG_25832_PROJ4, 'EPSG:4326');

/** Projects an EPSG:25832 point to WGS84 longitude, latitude with proj4. */
export function projectToWgs84(point: EastingNorthing): LonLat {
  const [longitude, latitude] = toWgs84.forward([point[0], point[1]]);
  return [roundTo(longitude, 9), roundTo(latitude, 9)];
}

type Range = readonly [minimum: number, maximum: number];
interface WeightedFunction {
  code: string;
  label: string;
  weight: number;
}

/** How a quarter is built: the Gründerzeit core, post-war rebuilding, modern offices, or a garden suburb. */
interface QuarterStyle {
  kind: 'gruenderzeit' | 'postwar' | 'modern' | 'garden';
  plotWidth: Range;
  depth: Range;
  setback: Range;
  gap: Range;
  storeys: Range;
  storeyHeight: Range;
  years: Range;
  roofPitchDegrees: Range;
  roofs: Record<DemoRoofType, number>;
  functions: WeightedFunction[];
}

// Labels are those of the CityGML 2.0 code list _AbstractBuilding_function (SIG3D).
const F = {
  residential: { code: '1000', label: 'residential building' },
  tenement: { code: '1010', label: 'tenement' },
  residentialOffice: { code: '1040', label: 'residential- and office building' },
  residentialBusiness: { code: '1050', label: 'residential- and business building' },
  office: { code: '1120', label: 'office building' },
  business: { code: '1150', label: 'business building' },
  departmentStore: { code: '1160', label: 'department store' },
  hotel: { code: '1210', label: 'hotel' },
  restaurant: { code: '1240', label: 'restaurant' },
  garage: { code: '1630', label: 'garage' },
  administration: { code: '1970', label: 'administration building' },
  school: { code: '2080', label: 'comprehensive school' },
  museum: { code: '2160', label: 'museum' },
  library: { code: '2190', label: 'library' },
  church: { code: '2220', label: 'church' },
  hospital: { code: '2310', label: 'hospital' },
  kindergarten: { code: '2380', label: 'kindergarten or nursery' },
  fireStation: { code: '2410', label: 'fire station' },
  sportsHall: { code: '2560', label: 'sports hall' },
} as const;

const weighted = (entry: { code: string; label: string }, weight: number): WeightedFunction => ({
  ...entry,
  weight,
});

const STYLES: Record<QuarterStyle['kind'], QuarterStyle> = {
  gruenderzeit: {
    kind: 'gruenderzeit',
    plotWidth: [10, 18],
    depth: [11, 14],
    setback: [0, 0.5],
    gap: [0, 0],
    storeys: [3, 5],
    storeyHeight: [3.2, 3.6],
    years: [1875, 1914],
    roofPitchDegrees: [35, 50],
    roofs: { flat: 0.12, gabled: 0.55, hipped: 0.33 },
    functions: [
      weighted(F.residential, 45),
      weighted(F.tenement, 20),
      weighted(F.residentialBusiness, 20),
      weighted(F.business, 5),
      weighted(F.office, 5),
      weighted(F.restaurant, 3),
      weighted(F.hotel, 2),
    ],
  },
  postwar: {
    kind: 'postwar',
    plotWidth: [16, 30],
    depth: [10, 12],
    setback: [2, 5],
    gap: [3, 8],
    storeys: [3, 6],
    storeyHeight: [2.8, 3.0],
    years: [1950, 1979],
    roofPitchDegrees: [25, 40],
    roofs: { flat: 0.35, gabled: 0.45, hipped: 0.2 },
    functions: [
      weighted(F.residential, 68),
      weighted(F.residentialBusiness, 10),
      weighted(F.office, 10),
      weighted(F.business, 6),
      weighted(F.garage, 6),
    ],
  },
  modern: {
    kind: 'modern',
    plotWidth: [20, 40],
    depth: [12, 16],
    setback: [3, 6],
    gap: [4, 10],
    storeys: [4, 7],
    storeyHeight: [3.0, 3.6],
    years: [1985, 2024],
    roofPitchDegrees: [20, 35],
    roofs: { flat: 0.75, gabled: 0.1, hipped: 0.15 },
    functions: [
      weighted(F.office, 35),
      weighted(F.residential, 35),
      weighted(F.residentialOffice, 10),
      weighted(F.business, 10),
      weighted(F.departmentStore, 5),
      weighted(F.hotel, 5),
    ],
  },
  garden: {
    kind: 'garden',
    plotWidth: [14, 22],
    depth: [8, 11],
    setback: [4, 7],
    gap: [3, 6],
    storeys: [1, 2],
    storeyHeight: [2.7, 3.0],
    years: [1920, 1995],
    roofPitchDegrees: [30, 45],
    roofs: { flat: 0.1, gabled: 0.55, hipped: 0.35 },
    functions: [weighted(F.residential, 95), weighted(F.garage, 5)],
  },
};

/** Real quarters of Darmstadt, used in order; further quarters are numbered. */
const QUARTER_NAMES = [
  'Martinsviertel',
  'Johannesviertel',
  'Woogsviertel',
  'Paulusviertel',
  'Mathildenhöhe',
  'Verlegerviertel',
  'Kapellplatzviertel',
  'Bessungen',
  'Heimstättensiedlung',
  'Waldkolonie',
  'Kranichstein',
  'Arheilgen',
  'Eberstadt',
  'Wixhausen',
  'Rosenhöhe',
  'Lichtwiese',
  'Ostviertel',
  'Nordviertel',
  'Westviertel',
  'Europaviertel',
  'Postsiedlung',
  'Komponistenviertel',
  'Tintenviertel',
  'Akademikerviertel',
];
/** Darmstadt's postal codes (64283-64297). */
const POSTAL_CODES = ['64289', '64293', '64287', '64285', '64283', '64295', '64291', '64297'];

/** Street names of the Martinsviertel and its neighbours first, then generated German names. */
const REAL_STREET_NAMES = [
  'Heinheimer Straße',
  'Liebfrauenstraße',
  'Pankratiusstraße',
  'Kahlertstraße',
  'Lauteschlägerstraße',
  'Arheilger Straße',
  'Mauerstraße',
  'Alexanderstraße',
  'Dieburger Straße',
  'Wenckstraße',
  'Magdalenenstraße',
  'Gutenbergstraße',
  'Barkhausstraße',
  'Mollerstraße',
  'Liebigstraße',
  'Kranichsteiner Straße',
  'Friedrichstraße',
  'Frankfurter Straße',
  'Roßdörfer Straße',
  'Landwehrstraße',
  'Rhönring',
  'Beckstraße',
];
const STREET_STEMS = [
  'Goethe',
  'Schiller',
  'Lessing',
  'Herder',
  'Büchner',
  'Merck',
  'Liebig',
  'Moller',
  'Olbrich',
  'Behrens',
  'Linden',
  'Eichen',
  'Birken',
  'Ahorn',
  'Kastanien',
  'Buchen',
  'Ulmen',
  'Eschen',
  'Erlen',
  'Weiden',
  'Rosen',
  'Tulpen',
  'Nelken',
  'Flieder',
  'Holunder',
  'Jasmin',
  'Lavendel',
  'Efeu',
  'Mohn',
  'Veilchen',
  'Amsel',
  'Drossel',
  'Fink',
  'Lerchen',
  'Meisen',
  'Stieglitz',
  'Kranich',
  'Reiher',
  'Falken',
  'Schwalben',
  'Mühl',
  'Brunnen',
  'Garten',
  'Wiesen',
  'Feld',
  'Wald',
  'Berg',
  'Tal',
  'Bach',
  'Quellen',
  'Kirch',
  'Schul',
  'Markt',
  'Post',
  'Bahnhof',
  'Hafen',
  'Burg',
  'Schloss',
  'Kloster',
  'Rathaus',
  'Odenwald',
  'Taunus',
  'Spessart',
  'Rhein',
  'Main',
  'Neckar',
  'Rhön',
  'Ried',
  'Vogelsberg',
  'Westerwald',
  'Händel',
  'Mozart',
  'Haydn',
  'Beethoven',
  'Brahms',
  'Schubert',
  'Mendelssohn',
  'Telemann',
  'Weber',
  'Kepler',
  'Gauß',
  'Röntgen',
  'Planck',
  'Humboldt',
  'Leibniz',
  'Euler',
  'Zuse',
  'Diesel',
  'Bunsen',
];
const STREET_SUFFIXES = ['straße', 'weg', 'allee', 'gasse', 'ring', 'pfad'];
const STREET_PREFIXES = ['', 'Neue ', 'Alte ', 'Obere ', 'Untere ', 'Hintere '];
const PARK_NAMES = [
  'Herrngarten',
  'Prinz-Georg-Garten',
  'Bürgerpark',
  'Ostpark',
  'Orangeriegarten',
  'Rosengarten',
  'Woogspark',
  'Hochschulpark',
];
const TREE_SPECIES = [
  'Tilia cordata',
  'Acer platanoides',
  'Platanus × acerifolia',
  'Aesculus hippocastanum',
  'Quercus robur',
  'Carpinus betulus',
  'Robinia pseudoacacia',
  'Ginkgo biloba',
];
/** Named landmarks placed, one per few blocks, at a block's first building. */
const LANDMARKS: Array<{
  name: string;
  function: { code: string; label: string };
  storeys: number;
  roof: DemoRoofType;
}> = [
  { name: 'Martinskirche', function: F.church, storeys: 3, roof: 'gabled' },
  { name: 'Stadtteilbibliothek Martinsviertel', function: F.library, storeys: 3, roof: 'flat' },
  { name: 'Feuerwache Nord', function: F.fireStation, storeys: 2, roof: 'flat' },
  { name: 'Kita Riegerplatz', function: F.kindergarten, storeys: 2, roof: 'hipped' },
  { name: 'Bürgerbüro Nord', function: F.administration, storeys: 4, roof: 'hipped' },
  { name: 'Museum Künstlerkolonie', function: F.museum, storeys: 3, roof: 'hipped' },
  { name: 'Elisabethenstift', function: F.hospital, storeys: 5, roof: 'flat' },
  { name: 'Pauluskirche', function: F.church, storeys: 3, roof: 'hipped' },
];

interface BlockCell {
  column: number;
  row: number;
  west: number;
  east: number;
  south: number;
  north: number;
}

/** One street segment: a grid line over up to 4 blocks; its house numbers count up per side. */
interface StreetSegment {
  id: string;
  name: string;
  vertical: boolean;
  line: number;
  segment: number;
  widthMetres: number;
  hasBikeLane: boolean;
  nextNumber: [odd: number, even: number];
}

const roundTo = (value: number, decimals: number): number => {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
};

/**
 * Creates the demo district: a deterministic German city quarter at Darmstadt's Martinsviertel.
 *
 * Layout: a grid of blocks (90-140 m by 70-100 m) between named streets (12-28 m wide; every fourth a main street
 * with bike lanes), grouped into quarters of 4 x 4 blocks that each have a building style (Gründerzeit perimeter
 * blocks, post-war rows, modern offices, garden suburb), parks, schools and named landmarks. Buildings stand on plots
 * along the block edges, so footprints inside a block never overlap. O(n) in the building count.
 *
 * @param options - `buildingCount` (default 2,400) and `seed` (default 1)
 * @throws RangeError when `buildingCount` is not an integer in 1..2,000,000 or `seed` is not an integer
 */
export function createDemoDistrict(options: DemoDistrictOptions = {}): DemoDistrict {
  const { buildingCount, seed } = resolveOptions(options);
  return new DistrictBuilder(buildingCount, seed, true).build();
}

/**
 * Yields the same buildings as `createDemoDistrict(options).buildings`, in the same order, without keeping them or
 * the other layers in memory: for writing benchmark cities of any size with flat memory.
 *
 * @throws RangeError when the options are invalid (see createDemoDistrict), on the first `next()`
 */
export function* generateDemoBuildings(options: DemoDistrictOptions = {}): Generator<DemoBuilding> {
  const { buildingCount, seed } = resolveOptions(options);
  yield* new DistrictBuilder(buildingCount, seed, false).generateBuildings();
}

function resolveOptions(options: DemoDistrictOptions): { buildingCount: number; seed: number } {
  const buildingCount = options.buildingCount ?? DEFAULT_BUILDING_COUNT;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(buildingCount) || buildingCount < 1 || buildingCount > MAXIMUM_BUILDING_COUNT) {
    throw new RangeError(
      `buildingCount must be an integer from 1 to ${MAXIMUM_BUILDING_COUNT}, got ${buildingCount}`,
    );
  }
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  return { buildingCount, seed };
}

/**
 * Spiral rank of a cell `dx`, `dy` away from the centre cell: 0 for the centre, 1-8 for the ring around it, and so on.
 * It orders quarters from the centre outwards without knowing how far the grid reaches.
 */
function spiralRank(dx: number, dy: number): number {
  const ring = Math.max(Math.abs(dx), Math.abs(dy));
  if (ring === 0) return 0;
  const before = (2 * ring - 1) ** 2;
  if (dx === ring && dy > -ring) return before + dy + ring - 1;
  if (dy === ring) return before + 2 * ring + (ring - dx) - 1;
  if (dx === -ring) return before + 4 * ring + (ring - dy) - 1;
  return before + 6 * ring + (dx + ring) - 1;
}

class DistrictBuilder {
  private readonly random: () => number;
  /** Buildings of the block being filled, handed out after each block. */
  private readonly blockBuildings: DemoBuilding[] = [];
  private produced = 0;
  private lastBlockId = '';
  private treeCount = 0;
  private rows = 0;
  private readonly blocks: DemoArea[] = [];
  private readonly parks: DemoArea[] = [];
  private parkCount = 0;
  private readonly trees: DemoTree[] = [];
  /** x of each vertical street centre line, index 0..columns. */
  private readonly verticalLines: number[] = [];
  private readonly verticalWidths: number[] = [];
  /** y of each horizontal street centre line, grows row by row. */
  private readonly horizontalLines: number[] = [];
  private readonly horizontalWidths: number[] = [];
  private readonly segments = new Map<string, StreetSegment>();
  private readonly usedStreetNames = new Set<string>();
  private readonly quarterStyles = new Map<string, QuarterStyle>();
  private streetNameIndex = 0;
  private landmarkIndex = 0;
  private blockIndex = 0;
  private readonly columns: number;
  private readonly expectedRows: number;
  /** The quarter that holds DEMO_CITY_CENTER: the Martinsviertel. */
  private readonly centreQuarter: [column: number, row: number];

  /**
   * @param collect - whether to keep buildings, blocks, parks and trees (false: only stream the buildings; the
   *   random draws stay the same, so both modes produce the same buildings)
   */
  constructor(
    private readonly buildingCount: number,
    seed: number,
    private readonly collect: boolean,
  ) {
    this.random = createRandom(seed);
    // About 20 buildings per block: a roughly square grid whose size follows the building count.
    const expectedBlocks = Math.max(4, Math.ceil(buildingCount / 20));
    this.columns = Math.max(2, Math.round(Math.sqrt(expectedBlocks * 1.15)));
    this.expectedRows = Math.max(1, Math.ceil(expectedBlocks / this.columns));
    const averageBlockWidth = 115 + 16;
    const averageBlockDepth = 85 + 16;
    let x = DEMO_CITY_CENTER[0] - (this.columns * averageBlockWidth) / 2;
    for (let line = 0; line <= this.columns; line += 1) {
      const main = line % BLOCKS_PER_QUARTER === 0;
      const width = main ? this.range([22, 28]) : this.range([12, 18]);
      this.verticalLines.push(roundTo(x, 2));
      this.verticalWidths.push(roundTo(width, 1));
      x += width + this.range([90, 140]);
    }
    this.horizontalLines.push(roundTo(DEMO_CITY_CENTER[1] - (this.expectedRows * averageBlockDepth) / 2, 2));
    this.horizontalWidths.push(roundTo(this.range([22, 28]), 1));
    let centreColumn = 0;
    while (centreColumn < this.columns - 1 && this.verticalLines[centreColumn + 1]! <= DEMO_CITY_CENTER[0]) {
      centreColumn += 1;
    }
    // Rows are laid out as they fill, so the centre row is the expected middle one.
    const centreRow = Math.floor(this.expectedRows / 2);
    this.centreQuarter = [
      Math.floor(centreColumn / BLOCKS_PER_QUARTER),
      Math.floor(centreRow / BLOCKS_PER_QUARTER),
    ];
  }

  /** Lays out the grid row by row, block by block, yielding each block's buildings once it is filled. */
  *generateBuildings(): Generator<DemoBuilding> {
    let row = 0;
    while (this.produced < this.buildingCount) {
      this.addRowLine(row);
      for (let column = 0; column < this.columns && this.produced < this.buildingCount; column += 1) {
        this.fillBlock(this.cellAt(column, row));
        yield* this.blockBuildings;
        this.blockBuildings.length = 0;
      }
      row += 1;
    }
    this.rows = row;
  }

  build(): DemoDistrict {
    const buildings = [...this.generateBuildings()];
    const rows = this.rows;
    const streets = this.collectStreets(rows);
    this.plantStreetTrees(streets);
    const districts = this.collectQuarters(rows);
    const west = this.verticalLines[0]!;
    const east = this.verticalLines[this.columns]!;
    const south = this.horizontalLines[0]!;
    const north = this.horizontalLines[rows]!;
    const corners = [
      projectToWgs84([west, south]),
      projectToWgs84([east, south]),
      projectToWgs84([east, north]),
      projectToWgs84([west, north]),
    ];
    return {
      name: DEMO_DISTRICT_NAME,
      crs: 'EPSG:25832',
      bounds: [
        Math.min(...corners.map((corner) => corner[0])),
        Math.min(...corners.map((corner) => corner[1])),
        Math.max(...corners.map((corner) => corner[0])),
        Math.max(...corners.map((corner) => corner[1])),
      ],
      buildings,
      streets,
      districts,
      blocks: this.blocks,
      parks: this.parks,
      trees: this.trees,
    };
  }

  private range(range: Range): number {
    return range[0] + (range[1] - range[0]) * this.random();
  }

  private integer(range: Range): number {
    return Math.floor(range[0] + (range[1] - range[0] + 1) * this.random());
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private pickRoof(weights: Record<DemoRoofType, number>): DemoRoofType {
    let draw = this.random() * (weights.flat + weights.gabled + weights.hipped);
    for (const roof of ['flat', 'gabled', 'hipped'] as const) {
      draw -= weights[roof];
      if (draw < 0) return roof;
    }
    return 'hipped';
  }

  private pickFunction(functions: readonly WeightedFunction[]): { code: string; label: string } {
    const total = functions.reduce((sum, entry) => sum + entry.weight, 0);
    let draw = this.random() * total;
    for (const entry of functions) {
      draw -= entry.weight;
      if (draw < 0) return { code: entry.code, label: entry.label };
    }
    const last = functions[functions.length - 1]!;
    return { code: last.code, label: last.label };
  }

  private addRowLine(row: number): void {
    // Line `row` (the south edge of this row) exists; add the north edge.
    const south = this.horizontalLines[row]!;
    const southWidth = this.horizontalWidths[row]!;
    const depth = this.range([70, 100]);
    const main = (row + 1) % BLOCKS_PER_QUARTER === 0;
    const width = main ? this.range([22, 28]) : this.range([12, 18]);
    this.horizontalLines.push(roundTo(south + southWidth / 2 + depth + width / 2, 2));
    this.horizontalWidths.push(roundTo(width, 1));
  }

  private cellAt(column: number, row: number): BlockCell {
    return {
      column,
      row,
      west: roundTo(this.verticalLines[column]! + this.verticalWidths[column]! / 2, 2),
      east: roundTo(this.verticalLines[column + 1]! - this.verticalWidths[column + 1]! / 2, 2),
      south: roundTo(this.horizontalLines[row]! + this.horizontalWidths[row]! / 2, 2),
      north: roundTo(this.horizontalLines[row + 1]! - this.horizontalWidths[row + 1]! / 2, 2),
    };
  }

  private quarterKey(column: number, row: number): string {
    return `${Math.floor(column / BLOCKS_PER_QUARTER)}-${Math.floor(row / BLOCKS_PER_QUARTER)}`;
  }

  private quarterIndex(column: number, row: number): number {
    const quartersPerRow = Math.ceil(this.columns / BLOCKS_PER_QUARTER);
    return Math.floor(row / BLOCKS_PER_QUARTER) * quartersPerRow + Math.floor(column / BLOCKS_PER_QUARTER);
  }

  private styleFor(cell: BlockCell): QuarterStyle {
    const key = this.quarterKey(cell.column, cell.row);
    let style = this.quarterStyles.get(key);
    if (!style) {
      // The old town core near the centre, post-war and modern rings around it, garden suburbs further out.
      const distance = Math.hypot(
        (cell.west + cell.east) / 2 - DEMO_CITY_CENTER[0],
        (cell.south + cell.north) / 2 - DEMO_CITY_CENTER[1],
      );
      const draw = this.random();
      let kind: QuarterStyle['kind'];
      if (distance < 700) kind = draw < 0.75 ? 'gruenderzeit' : 'postwar';
      else if (distance < 1_600)
        kind = draw < 0.35 ? 'postwar' : draw < 0.6 ? 'modern' : draw < 0.8 ? 'garden' : 'gruenderzeit';
      else kind = draw < 0.45 ? 'garden' : draw < 0.7 ? 'postwar' : 'modern';
      style = STYLES[kind];
      this.quarterStyles.set(key, style);
    }
    return style;
  }

  private nextStreetName(): string {
    for (;;) {
      const index = this.streetNameIndex;
      this.streetNameIndex += 1;
      let name: string;
      if (index < REAL_STREET_NAMES.length) {
        name = REAL_STREET_NAMES[index]!;
      } else {
        const generated = index - REAL_STREET_NAMES.length;
        const combinations = STREET_STEMS.length * STREET_SUFFIXES.length;
        // A fixed stride through the stem x suffix table mixes names without needing the PRNG.
        const position = (generated * 337) % combinations;
        const stem = STREET_STEMS[position % STREET_STEMS.length]!;
        const suffix = STREET_SUFFIXES[Math.floor(position / STREET_STEMS.length)]!;
        const round = Math.floor(generated / combinations);
        const prefix = STREET_PREFIXES[round % STREET_PREFIXES.length]!;
        const counter = Math.floor(round / STREET_PREFIXES.length);
        name = `${prefix}${stem}${suffix}${counter > 0 ? ` ${counter + 1}` : ''}`;
      }
      if (!this.usedStreetNames.has(name)) {
        this.usedStreetNames.add(name);
        return name;
      }
    }
  }

  /** The street segment along a block edge: vertical line `line` at row `along`, or horizontal line at column. */
  private segmentFor(vertical: boolean, line: number, along: number): StreetSegment {
    const segment = Math.floor(along / BLOCKS_PER_QUARTER);
    const key = `${vertical ? 'v' : 'h'}-${line}-${segment}`;
    let street = this.segments.get(key);
    if (!street) {
      const widthMetres = vertical ? this.verticalWidths[line]! : this.horizontalWidths[line]!;
      street = {
        id: `street-${String(this.segments.size + 1).padStart(4, '0')}`,
        name: this.nextStreetName(),
        vertical,
        line,
        segment,
        widthMetres,
        hasBikeLane: widthMetres >= 22 || this.random() < 0.25,
        nextNumber: [1, 2],
      };
      this.segments.set(key, street);
    }
    return street;
  }

  private fillBlock(cell: BlockCell): void {
    this.blockIndex += 1;
    const blockId = `block-${String(this.blockIndex).padStart(5, '0')}`;
    const districtId = `district-${String(this.quarterIndex(cell.column, cell.row) + 1).padStart(3, '0')}`;
    const ring: EastingNorthing[] = [
      [cell.west, cell.south],
      [cell.east, cell.south],
      [cell.east, cell.north],
      [cell.west, cell.north],
      [cell.west, cell.south],
    ];
    if (this.collect) {
      this.blocks.push({
        id: blockId,
        name: `Block ${this.blockIndex}`,
        polygon: ring.map(projectToWgs84),
        polygonProjected: ring,
      });
    }
    const style = this.styleFor(cell);
    // Block 3 is always a park and every 15th block after it, so even a small district has one.
    if (this.blockIndex % 15 === 3) {
      this.addPark(cell, ring);
      return;
    }
    const civic = this.blockIndex % 23 === 7;
    const context = { cell, blockId, districtId, style };
    const depthReserve = style.setback[1] + style.depth[1];
    // The school and its hall reach 28 m into the block.
    const southReserve = civic ? CIVIC_DEPTH_RESERVE : depthReserve;
    // South and north rows run the full block width; west and east rows fit between them.
    if (civic) this.addCivicBuildings(context);
    else this.addRow(context, 'south', cell.west, cell.east);
    this.addRow(context, 'north', cell.west, cell.east);
    if (cell.north - cell.south - southReserve - depthReserve > style.plotWidth[0]) {
      this.addRow(context, 'west', cell.south + southReserve, cell.north - depthReserve);
      this.addRow(context, 'east', cell.south + southReserve, cell.north - depthReserve);
    }
  }

  private addPark(cell: BlockCell, ring: EastingNorthing[]): void {
    const index = this.parkCount;
    this.parkCount += 1;
    // Real Darmstadt park names first, then parks named like streets ("Lindenpark", "Goethepark 2").
    const generated = index - PARK_NAMES.length;
    const name =
      generated < 0
        ? PARK_NAMES[index]!
        : `${STREET_STEMS[generated % STREET_STEMS.length]!}park${generated >= STREET_STEMS.length ? ` ${Math.floor(generated / STREET_STEMS.length) + 1}` : ''}`;
    if (this.collect) {
      this.parks.push({
        id: `park-${String(index + 1).padStart(3, '0')}`,
        name,
        polygon: ring.map(projectToWgs84),
        polygonProjected: ring,
      });
    }
    const spacing = 14;
    for (let x = cell.west + spacing / 2; x < cell.east - 4; x += spacing) {
      for (let y = cell.south + spacing / 2; y < cell.north - 4; y += spacing) {
        if (this.random() < 0.45) continue;
        this.addTree([x + this.range([-3, 3]), y + this.range([-3, 3])], [8, 28]);
      }
    }
  }

  private addTree(position: EastingNorthing, heights: Range): void {
    const positionProjected: EastingNorthing = [roundTo(position[0], 2), roundTo(position[1], 2)];
    // Drawn in both modes so the streamed buildings match the collected ones.
    const species = this.pick(TREE_SPECIES);
    const heightMetres = roundTo(this.range(heights), 1);
    this.treeCount += 1;
    if (!this.collect) return;
    this.trees.push({
      id: `tree-${String(this.treeCount).padStart(6, '0')}`,
      position: projectToWgs84(positionProjected),
      positionProjected,
      species,
      heightMetres,
    });
  }

  private addCivicBuildings(context: BuildingContext): void {
    const { cell } = context;
    const width = Math.min(70, cell.east - cell.west - 10);
    const street = this.segmentFor(false, cell.row, cell.column);
    this.addBuilding(context, {
      side: 'south',
      start: cell.west + 5,
      width,
      depth: 16,
      setback: 6,
      street,
      storeys: 3,
      storeyHeight: 3.8,
      roof: 'hipped',
      roofPitchDegrees: 30,
      year: this.integer([1955, 2015]),
      function: F.school,
      name: `Schule ${street.name}`,
    });
    const hallStart = cell.west + 5 + width + 4;
    if (cell.east - 4 - hallStart >= 20) {
      this.addBuilding(context, {
        side: 'south',
        start: hallStart,
        width: Math.min(40, cell.east - 4 - hallStart),
        depth: 22,
        setback: 6,
        street,
        storeys: 1,
        storeyHeight: 8,
        roof: 'flat',
        roofPitchDegrees: 0,
        year: this.integer([1965, 2020]),
        function: F.sportsHall,
        name: `Sporthalle ${street.name}`,
      });
    }
  }

  private addRow(context: BuildingContext, side: Side, from: number, to: number): void {
    const { cell, style } = context;
    const vertical = side === 'west' || side === 'east';
    const street = vertical
      ? this.segmentFor(true, side === 'west' ? cell.column : cell.column + 1, cell.row)
      : this.segmentFor(false, side === 'south' ? cell.row : cell.row + 1, cell.column);
    let position = from;
    while (this.produced < this.buildingCount) {
      const plotWidth = this.range(style.plotWidth);
      if (position + plotWidth > to) break;
      const gap = this.range(style.gap);
      const width = Math.max(6, plotWidth - gap);
      const landmark = this.landmarkDue(context);
      const storeys = landmark?.storeys ?? this.integer(style.storeys);
      const roof = landmark?.roof ?? this.pickRoof(style.roofs);
      const yearRange: Range =
        style.kind === 'gruenderzeit' && this.random() < 0.15 ? [1950, 1965] : style.years;
      this.addBuilding(context, {
        side,
        start: position,
        width,
        depth: this.range(style.depth),
        setback: this.range(style.setback),
        street,
        storeys,
        storeyHeight: this.range(style.storeyHeight),
        roof,
        roofPitchDegrees: landmark?.function === F.church ? 55 : this.range(style.roofPitchDegrees),
        year: this.integer(yearRange),
        function: landmark?.function ?? this.pickFunction(style.functions),
        name: landmark?.name,
      });
      position += plotWidth;
    }
  }

  private landmarkDue(context: BuildingContext): (typeof LANDMARKS)[number] | undefined {
    // The first building of every ninth block becomes the next landmark while names last.
    if (this.landmarkIndex >= LANDMARKS.length || this.blockIndex % 9 !== 5) return undefined;
    if (this.lastBlockId === context.blockId) return undefined;
    const landmark = LANDMARKS[this.landmarkIndex]!;
    this.landmarkIndex += 1;
    return landmark;
  }

  private addBuilding(context: BuildingContext, plan: BuildingPlan): void {
    const { cell } = context;
    const { side, start, width, depth, setback } = plan;
    // Corner a is where the first edge (along the street, parallel to the ridge) starts; u runs along the street,
    // v into the block; u x v > 0 keeps the ring counter-clockwise.
    let a: EastingNorthing;
    let u: EastingNorthing;
    let v: EastingNorthing;
    switch (side) {
      case 'south':
        a = [start, cell.south + setback];
        u = [1, 0];
        v = [0, 1];
        break;
      case 'north':
        a = [start + width, cell.north - setback];
        u = [-1, 0];
        v = [0, -1];
        break;
      case 'west':
        a = [cell.west + setback, start + width];
        u = [0, -1];
        v = [1, 0];
        break;
      case 'east':
        a = [cell.east - setback, start];
        u = [0, 1];
        v = [-1, 0];
        break;
    }
    const corner = (along: number, inward: number): EastingNorthing => [
      roundTo(a[0] + u[0] * along + v[0] * inward, 3),
      roundTo(a[1] + u[1] * along + v[1] * inward, 3),
    ];
    const footprint = [corner(0, 0), corner(width, 0), corner(width, depth), corner(0, depth)];
    footprint.push(footprint[0]!);
    const groundHeight = roundTo(
      Math.min(...footprint.slice(0, 4).map((point) => terrainHeight(point[0], point[1]))),
      2,
    );
    // A plinth of 0.3-0.6 m lifts the ground floor above the street, as in most German houses.
    const eavesHeight = roundTo(plan.storeys * plan.storeyHeight + this.range([0.3, 0.6]), 2);
    const roofHeight =
      plan.roof === 'flat' ? 0 : roundTo((depth / 2) * Math.tan((plan.roofPitchDegrees * Math.PI) / 180), 2);
    const odd = this.isOddSide(plan.street, side);
    const houseNumber = plan.street.nextNumber[odd ? 0 : 1];
    plan.street.nextNumber[odd ? 0 : 1] += 2;
    const building: DemoBuilding = {
      id: `bldg-${String(this.produced + 1).padStart(6, '0')}`,
      address: {
        street: plan.street.name,
        houseNumber: String(houseNumber),
        postalCode: POSTAL_CODES[this.quarterRank(cell.column, cell.row) % POSTAL_CODES.length]!,
        city: DEMO_CITY_NAME,
      },
      footprint,
      footprintLonLat: footprint.map(projectToWgs84),
      groundHeight,
      measuredHeight: roundTo(eavesHeight + roofHeight, 2),
      eavesHeight,
      storeysAboveGround: plan.storeys,
      roofType: plan.roof,
      function: { code: plan.function.code, label: plan.function.label },
      yearOfConstruction: plan.year,
      districtId: context.districtId,
      blockId: context.blockId,
    };
    if (plan.name) building.name = plan.name;
    this.blockBuildings.push(building);
    this.produced += 1;
    this.lastBlockId = context.blockId;
  }

  /** German numbering: odd numbers on the left of the direction of travel (west or south side of the street). */
  private isOddSide(street: StreetSegment, side: Side): boolean {
    // A block's south row faces the street below it, i.e. the street's north side; its west row faces the street's
    // east side. Streets run south->north and west->east, so the left side is west (vertical) or north (horizontal).
    return street.vertical ? side === 'east' : side === 'south';
  }

  private collectStreets(rows: number): DemoStreet[] {
    const streets: DemoStreet[] = [];
    for (const segment of this.segments.values()) {
      let start: EastingNorthing;
      let end: EastingNorthing;
      const from = segment.segment * BLOCKS_PER_QUARTER;
      if (segment.vertical) {
        const x = this.verticalLines[segment.line]!;
        start = [x, this.horizontalLines[from]!];
        end = [x, this.horizontalLines[Math.min(from + BLOCKS_PER_QUARTER, rows)]!];
      } else {
        const y = this.horizontalLines[segment.line]!;
        start = [this.verticalLines[from]!, y];
        end = [this.verticalLines[Math.min(from + BLOCKS_PER_QUARTER, this.columns)]!, y];
      }
      const centerlineProjected: EastingNorthing[] = [start, end];
      streets.push({
        id: segment.id,
        name: segment.name,
        centerline: centerlineProjected.map(projectToWgs84),
        centerlineProjected,
        widthMetres: segment.widthMetres,
        hasBikeLane: segment.hasBikeLane,
      });
    }
    return streets;
  }

  private plantStreetTrees(streets: DemoStreet[]): void {
    // Avenues (16 m and wider) get a row of trees on both sides, about every 12 m, clear of the crossings.
    for (const street of streets) {
      if (street.widthMetres < 16) continue;
      const [start, end] = street.centerlineProjected as [EastingNorthing, EastingNorthing];
      const length = Math.hypot(end[0] - start[0], end[1] - start[1]);
      const along: EastingNorthing = [(end[0] - start[0]) / length, (end[1] - start[1]) / length];
      const across: EastingNorthing = [-along[1], along[0]];
      const offset = street.widthMetres / 2 - 1.5;
      for (let distance = 18; distance < length - 18; distance += this.range([10, 14])) {
        // Skip the stretch where a cross street meets this one.
        if (this.crossesStreet(start, along, distance)) continue;
        for (const sign of [-1, 1]) {
          this.addTree(
            [
              start[0] + along[0] * distance + across[0] * offset * sign,
              start[1] + along[1] * distance + across[1] * offset * sign,
            ],
            [6, 20],
          );
        }
      }
    }
  }

  /** Whether the point `distance` along a street lies in (or within 6 m of) a crossing street. */
  private crossesStreet(start: EastingNorthing, along: EastingNorthing, distance: number): boolean {
    const vertical = along[0] === 0;
    const coordinate = vertical ? start[1] + along[1] * distance : start[0] + along[0] * distance;
    const lines = vertical ? this.horizontalLines : this.verticalLines;
    const widths = vertical ? this.horizontalWidths : this.verticalWidths;
    for (let index = 0; index < lines.length; index += 1) {
      if (Math.abs(coordinate - lines[index]!) < widths[index]! / 2 + 6) return true;
    }
    return false;
  }

  /** Spiral rank of the quarter holding a block, counted from the Martinsviertel outwards. */
  private quarterRank(column: number, row: number): number {
    return spiralRank(
      Math.floor(column / BLOCKS_PER_QUARTER) - this.centreQuarter[0],
      Math.floor(row / BLOCKS_PER_QUARTER) - this.centreQuarter[1],
    );
  }

  private collectQuarters(rows: number): DemoArea[] {
    const quarters: DemoArea[] = [];
    const quarterColumns = Math.ceil(this.columns / BLOCKS_PER_QUARTER);
    const quarterRows = Math.ceil(rows / BLOCKS_PER_QUARTER);
    for (let quarterRow = 0; quarterRow < quarterRows; quarterRow += 1) {
      for (let quarterColumn = 0; quarterColumn < quarterColumns; quarterColumn += 1) {
        const index = quarterRow * quarterColumns + quarterColumn;
        const west = this.verticalLines[quarterColumn * BLOCKS_PER_QUARTER]!;
        const east = this.verticalLines[Math.min((quarterColumn + 1) * BLOCKS_PER_QUARTER, this.columns)]!;
        const south = this.horizontalLines[quarterRow * BLOCKS_PER_QUARTER]!;
        const north = this.horizontalLines[Math.min((quarterRow + 1) * BLOCKS_PER_QUARTER, rows)]!;
        const ring: EastingNorthing[] = [
          [west, south],
          [east, south],
          [east, north],
          [west, north],
          [west, south],
        ];
        // Real quarter names go to the quarters nearest the Martinsviertel first.
        const rank = this.quarterRank(quarterColumn * BLOCKS_PER_QUARTER, quarterRow * BLOCKS_PER_QUARTER);
        quarters.push({
          id: `district-${String(index + 1).padStart(3, '0')}`,
          name: rank < QUARTER_NAMES.length ? QUARTER_NAMES[rank]! : `Quartier ${rank + 1}`,
          polygon: ring.map(projectToWgs84),
          polygonProjected: ring,
        });
      }
    }
    return quarters;
  }
}

type Side = 'south' | 'north' | 'west' | 'east';

interface BuildingContext {
  cell: BlockCell;
  blockId: string;
  districtId: string;
  style: QuarterStyle;
}

interface BuildingPlan {
  side: Side;
  /** Start of the plot along the street, in the increasing easting (south/north) or northing (west/east). */
  start: number;
  width: number;
  depth: number;
  setback: number;
  street: StreetSegment;
  storeys: number;
  storeyHeight: number;
  roof: DemoRoofType;
  roofPitchDegrees: number;
  year: number;
  function: { code: string; label: string };
  name?: string | undefined;
}
