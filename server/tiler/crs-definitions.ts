// Bundled proj4 definitions: the national grids of Europe, every UTM zone on ETRS89/WGS84/NAD83/GDA, and common others.
// Horizontal CRSs only; vertical datums are named for the summary, never used to shift heights.

const ETRS89 = '+ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +units=m +no_defs';
const DHDN = '+ellps=bessel +towgs84=598.1,73.7,418.2,0.202,0.045,-2.455,6.7 +units=m +no_defs';
const MGI = '+ellps=bessel +towgs84=577.326,90.129,463.919,5.137,1.474,5.297,2.4232 +units=m +no_defs';

function buildDefinitions(): Map<number, string> {
  const definitions = new Map<number, string>();
  for (let zone = 1; zone <= 60; zone++) {
    definitions.set(32600 + zone, `+proj=utm +zone=${zone} +datum=WGS84 +units=m +no_defs`);
    definitions.set(32700 + zone, `+proj=utm +zone=${zone} +south +datum=WGS84 +units=m +no_defs`);
  }
  // ETRS89 / UTM zones 28N-38N (EPSG:25828-25838).
  for (let zone = 28; zone <= 38; zone++) definitions.set(25800 + zone, `+proj=utm +zone=${zone} ${ETRS89}`);
  // ETRS89 / UTM with zone prefix on the easting (EPSG:4647 zone 32, EPSG:5650 zone 33).
  definitions.set(4647, `+proj=tmerc +lat_0=0 +lon_0=9 +k=0.9996 +x_0=32500000 +y_0=0 ${ETRS89}`);
  definitions.set(5650, `+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9996 +x_0=33500000 +y_0=0 ${ETRS89}`);
  // NAD83 / UTM zones 1N-23N.
  for (let zone = 1; zone <= 23; zone++)
    definitions.set(26900 + zone, `+proj=utm +zone=${zone} +datum=NAD83 +units=m +no_defs`);
  // GDA94 / MGA and GDA2020 / MGA zones 46-59.
  for (let zone = 46; zone <= 59; zone++) {
    definitions.set(28300 + zone, `+proj=utm +zone=${zone} +south ${ETRS89}`);
    definitions.set(7800 + zone, `+proj=utm +zone=${zone} +south ${ETRS89}`);
  }
  // DHDN / 3-degree Gauss-Krüger zones 2-5 (EPSG:31466-31469).
  for (let zone = 2; zone <= 5; zone++) {
    definitions.set(
      31464 + zone,
      `+proj=tmerc +lat_0=0 +lon_0=${zone * 3} +k=1 +x_0=${zone * 1000000 + 500000} +y_0=0 ${DHDN}`,
    );
  }
  definitions.set(
    3068,
    `+proj=cass +lat_0=52.41864827777778 +lon_0=13.62720366666667 +x_0=40000 +y_0=10000 ${DHDN}`,
  );
  definitions.set(
    28992,
    '+proj=sterea +lat_0=52.15616055555555 +lon_0=5.38763888888889 +k=0.9999079 +x_0=155000 +y_0=463000 +ellps=bessel ' +
      '+towgs84=565.417,50.3319,465.552,-0.398957,0.343988,-1.8774,4.0725 +units=m +no_defs',
  );
  definitions.set(
    2056,
    '+proj=somerc +lat_0=46.95240555555556 +lon_0=7.439583333333333 +k_0=1 +x_0=2600000 +y_0=1200000 +ellps=bessel ' +
      '+towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs',
  );
  definitions.set(
    21781,
    '+proj=somerc +lat_0=46.95240555555556 +lon_0=7.439583333333333 +k_0=1 +x_0=600000 +y_0=200000 +ellps=bessel ' +
      '+towgs84=674.374,15.056,405.346,0,0,0,0 +units=m +no_defs',
  );
  definitions.set(
    2154,
    `+proj=lcc +lat_0=46.5 +lon_0=3 +lat_1=49 +lat_2=44 +x_0=700000 +y_0=6600000 ${ETRS89}`,
  );
  definitions.set(
    27700,
    '+proj=tmerc +lat_0=49 +lon_0=-2 +k=0.9996012717 +x_0=400000 +y_0=-100000 +ellps=airy ' +
      '+towgs84=446.448,-125.157,542.06,0.15,0.247,0.842,-20.489 +units=m +no_defs',
  );
  definitions.set(2157, `+proj=tmerc +lat_0=53.5 +lon_0=-8 +k=0.99982 +x_0=600000 +y_0=750000 ${ETRS89}`);
  definitions.set(3035, `+proj=laea +lat_0=52 +lon_0=10 +x_0=4321000 +y_0=3210000 ${ETRS89}`);
  definitions.set(
    3034,
    `+proj=lcc +lat_0=52 +lon_0=10 +lat_1=35 +lat_2=65 +x_0=4000000 +y_0=2800000 ${ETRS89}`,
  );
  definitions.set(31255, `+proj=tmerc +lat_0=0 +lon_0=13.33333333333333 +k=1 +x_0=0 +y_0=-5000000 ${MGI}`);
  definitions.set(31256, `+proj=tmerc +lat_0=0 +lon_0=16.33333333333333 +k=1 +x_0=0 +y_0=-5000000 ${MGI}`);
  definitions.set(31254, `+proj=tmerc +lat_0=0 +lon_0=10.33333333333333 +k=1 +x_0=0 +y_0=-5000000 ${MGI}`);
  definitions.set(
    31287,
    `+proj=lcc +lat_0=47.5 +lon_0=13.33333333333333 +lat_1=49 +lat_2=46 +x_0=400000 +y_0=400000 ${MGI}`,
  );
  definitions.set(
    3416,
    `+proj=lcc +lat_0=47.5 +lon_0=13.33333333333333 +lat_1=49 +lat_2=46 +x_0=400000 +y_0=400000 ${ETRS89}`,
  );
  definitions.set(2180, `+proj=tmerc +lat_0=0 +lon_0=19 +k=0.9993 +x_0=500000 +y_0=-5300000 ${ETRS89}`);
  definitions.set(3006, `+proj=utm +zone=33 ${ETRS89}`);
  definitions.set(3067, `+proj=utm +zone=35 ${ETRS89}`);
  definitions.set(3879, `+proj=tmerc +lat_0=0 +lon_0=25 +k=1 +x_0=25500000 +y_0=0 ${ETRS89}`);
  definitions.set(3794, `+proj=tmerc +lat_0=0 +lon_0=15 +k=0.9999 +x_0=500000 +y_0=-5000000 ${ETRS89}`);
  definitions.set(3765, `+proj=tmerc +lat_0=0 +lon_0=16.5 +k=0.9999 +x_0=500000 +y_0=0 ${ETRS89}`);
  definitions.set(
    3763,
    `+proj=tmerc +lat_0=39.66825833333333 +lon_0=-8.133108333333334 +k=1 +x_0=0 +y_0=0 ${ETRS89}`,
  );
  definitions.set(3346, `+proj=tmerc +lat_0=0 +lon_0=24 +k=0.9998 +x_0=500000 +y_0=0 ${ETRS89}`);
  definitions.set(3059, `+proj=tmerc +lat_0=0 +lon_0=24 +k=0.9996 +x_0=500000 +y_0=-6000000 ${ETRS89}`);
  definitions.set(
    3301,
    `+proj=lcc +lat_0=57.51755393055556 +lon_0=24 +lat_1=59.33333333333334 +lat_2=58 +x_0=500000 +y_0=6375000 ${ETRS89}`,
  );
  definitions.set(
    3812,
    `+proj=lcc +lat_0=50.797815 +lon_0=4.359215833333333 +lat_1=49.83333333333334 +lat_2=51.16666666666666 +x_0=649328 +y_0=665262 ${ETRS89}`,
  );
  definitions.set(
    31370,
    '+proj=lcc +lat_0=90 +lon_0=4.367486666666666 +lat_1=51.16666723333333 +lat_2=49.8333339 +x_0=150000.013 +y_0=5400088.438 ' +
      '+ellps=intl +towgs84=-106.8686,52.2978,-103.7239,0.3366,-0.457,1.8422,-1.2747 +units=m +no_defs',
  );
  definitions.set(
    23700,
    '+proj=somerc +lat_0=47.14439372222222 +lon_0=19.04857177777778 +k_0=0.99993 +x_0=650000 +y_0=200000 +ellps=GRS67 ' +
      '+towgs84=52.17,-71.82,-14.9,0,0,0,0 +units=m +no_defs',
  );
  definitions.set(
    2100,
    '+proj=tmerc +lat_0=0 +lon_0=24 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +towgs84=-199.87,74.79,246.62,0,0,0,0 +units=m +no_defs',
  );
  definitions.set(
    5514,
    '+proj=krovak +lat_0=49.5 +lon_0=24.83333333333333 +alpha=30.28813972222222 +k=0.9999 +x_0=0 +y_0=0 +ellps=bessel ' +
      '+towgs84=589,76,480,0,0,0,0 +units=m +no_defs',
  );
  definitions.set(
    3857,
    '+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m +nadgrids=@null +wktext +no_defs',
  );
  definitions.set(2193, `+proj=tmerc +lat_0=0 +lon_0=173 +k=0.9996 +x_0=1600000 +y_0=10000000 ${ETRS89}`);
  definitions.set(
    3414,
    '+proj=tmerc +lat_0=1.366666666666667 +lon_0=103.8333333333333 +k=1 +x_0=28001.642 +y_0=38744.572 +ellps=WGS84 +units=m +no_defs',
  );
  // Geographic CRSs (degrees).
  definitions.set(4326, '+proj=longlat +datum=WGS84 +no_defs');
  definitions.set(4979, '+proj=longlat +datum=WGS84 +no_defs');
  definitions.set(4258, `+proj=longlat ${ETRS89.replace(' +units=m', '')}`);
  definitions.set(4937, `+proj=longlat ${ETRS89.replace(' +units=m', '')}`);
  definitions.set(6668, '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs');
  definitions.set(4612, '+proj=longlat +ellps=GRS80 +towgs84=0,0,0,0,0,0,0 +no_defs');
  definitions.set(4269, '+proj=longlat +datum=NAD83 +no_defs');
  return definitions;
}

/** EPSG code → proj4 definition, horizontal CRSs only. */
export const PROJ4_DEFINITIONS: ReadonlyMap<number, string> = buildDefinitions();

/** Geographic CRSs whose EPSG axis order is latitude, longitude. */
export const LATITUDE_FIRST_CODES: ReadonlySet<number> = new Set([4326, 4979, 4258, 4937, 6668, 4612, 4269]);

/** Compound EPSG codes (horizontal + vertical) → [horizontal, vertical]. */
export const COMPOUND_CODES: ReadonlyMap<number, [number, number]> = new Map([
  [7415, [28992, 5709]],
  [6697, [6668, 6695]],
  [5555, [25832, 5783]],
  [5556, [25833, 5783]],
  [7409, [4258, 5730]],
  [5972, [25832, 5941]],
  [9286, [4258, 5783]],
]);

/** Vertical datums that appear in city models, for the summary's height note. */
export const VERTICAL_DATUM_NAMES: ReadonlyMap<number, string> = new Map([
  [5783, 'DHHN92'],
  [7837, 'DHHN2016'],
  [5709, 'NAP'],
  [6695, 'JGD2011 vertical'],
  [5730, 'EVRF2000'],
  [5621, 'EVRF2007'],
  [5701, 'ODN'],
  [5720, 'NGF-IGN69'],
  [5728, 'LN02'],
  [5729, 'LHN95'],
  [5778, 'GHA'],
  [5941, 'NN2000'],
  [5613, 'RH2000'],
  [3855, 'EGM2008'],
  [5773, 'EGM96'],
]);

/** AdV URN horizontal parts (`urn:adv:crs:<horizontal>*<vertical>...`) → EPSG code. */
export const ADV_HORIZONTAL: ReadonlyMap<string, number> = new Map([
  ['ETRS89_UTM32', 25832],
  ['ETRS89_UTM33', 25833],
  ['DE_DHDN_3GK2', 31466],
  ['DE_DHDN_3GK3', 31467],
  ['DE_DHDN_3GK4', 31468],
  ['DE_DHDN_3GK5', 31469],
  ['ETRS89_Lat-Lon', 4258],
]);

/** AdV URN vertical parts → datum name. */
export const ADV_VERTICAL: ReadonlyMap<string, string> = new Map([
  ['DE_DHHN2016_NH', 'DHHN2016'],
  ['DE_DHHN92_NH', 'DHHN92'],
  ['DE_DHN92_NH', 'DHHN92'],
  ['DE_NN_NH', 'DHHN12 (NN)'],
]);
