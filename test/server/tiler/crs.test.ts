import { execFileSync } from 'node:child_process';
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import {
  CrsResolutionError,
  createHorizontalTransform,
  ecefToGeodetic,
  GEODETIC_BASIS_SIZE,
  geodeticBasis,
  geodeticToEcef,
  placeOnBasis,
  resolveCrs,
} from '../../../server/tiler/crs';

/** Independent reference: GDAL/PROJ (Debian gdal-bin), not proj4js. */
function gdalTransform(source: string, target: string, x: number, y: number, z = 0): number[] {
  const output = execFileSync('gdaltransform', ['-s_srs', source, '-t_srs', target], {
    input: `${x} ${y} ${z}\n`,
  }).toString();
  return output.trim().split(/\s+/).map(Number);
}

describe('resolveCrs', () => {
  it('returns ETRS89 / UTM 32N for every srsName form of EPSG:25832', () => {
    for (const name of [
      'EPSG:25832',
      '25832',
      'urn:ogc:def:crs:EPSG::25832',
      'urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783',
      'http://www.opengis.net/def/crs/EPSG/0/25832',
    ]) {
      expect(resolveCrs(name).horizontalCode, name).toBe(25832);
    }
  });

  it('returns the vertical datum of compound and AdV URNs', () => {
    expect(resolveCrs('urn:ogc:def:crs,crs:EPSG::25832,crs:EPSG::5783').verticalName).toBe('DHHN92');
    const adv = resolveCrs('urn:adv:crs:ETRS89_UTM32*DE_DHHN2016_NH*GCG2016');
    expect(adv.horizontalCode).toBe(25832);
    expect(adv.verticalName).toBe('DHHN2016');
    expect(resolveCrs('urn:adv:crs:DE_DHDN_3GK4*DE_DHN92_NH').horizontalCode).toBe(31468);
  });

  it('returns Soldner Berlin for a versioned EPSG URN', () => {
    const crs = resolveCrs('urn:ogc:def:crs,crs:EPSG:6.12:3068,crs:EPSG:6.12:5783');
    expect(crs.horizontalCode).toBe(3068);
    expect(crs.verticalName).toBe('DHHN92');
  });

  it('returns latitude-first order for geographic CRSs in URL form and splits compound codes', () => {
    const japan = resolveCrs('http://www.opengis.net/def/crs/EPSG/0/6697');
    expect(japan.horizontalCode).toBe(6668);
    expect(japan.latitudeFirst).toBe(true);
    const dutch = resolveCrs('https://www.opengis.net/def/crs/EPSG/0/7415');
    expect(dutch.horizontalCode).toBe(28992);
    expect(dutch.verticalName).toBe('NAP');
    expect(resolveCrs('EPSG:4326').latitudeFirst).toBe(false);
  });

  it('accepts a proj4 string', () => {
    expect(resolveCrs('+proj=utm +zone=33 +ellps=GRS80 +units=m +no_defs').proj4Definition).toContain(
      'zone=33',
    );
  });

  it('throws CrsResolutionError for unknown, local and empty CRSs', () => {
    expect(() => resolveCrs('EPSG:99999')).toThrow(CrsResolutionError);
    expect(() => resolveCrs('#local-CRS-1')).toThrow(/not georeferenced/);
    expect(() => resolveCrs('')).toThrow(CrsResolutionError);
    expect(() => resolveCrs('urn:adv:crs:XX_UNKNOWN*DE_DHHN2016_NH')).toThrow(CrsResolutionError);
    expect(() => resolveCrs('+proj=nonsense')).toThrow(CrsResolutionError);
  });

  it('bundles every ETRS89 and WGS84 UTM zone of Europe', () => {
    for (let zone = 28; zone <= 38; zone++)
      expect(resolveCrs(`EPSG:${25800 + zone}`).proj4Definition).toContain(`+zone=${zone}`);
    for (let zone = 1; zone <= 60; zone++)
      expect(resolveCrs(`EPSG:${32600 + zone}`).proj4Definition).toContain(`+zone=${zone}`);
  });
});

describe('createHorizontalTransform', () => {
  const cases: Array<[string, number, number, number]> = [
    // [EPSG, x, y, tolerance in metres]: GRS80-based CRSs agree to millimetres; Bessel-based ones depend on which
    // datum shift PROJ picks (no grids installed), so a few metres is the honest bound there.
    ['25832', 458875, 5438350, 0.01],
    ['25833', 392000, 5820000, 0.01],
    ['2154', 652000, 6862000, 0.01],
    ['3035', 4321000, 3210000, 0.01],
    ['31468', 4468000, 5333000, 5],
    ['3068', 24000, 21000, 5],
    ['28992', 85000, 446000, 5],
    ['2056', 2600000, 1200000, 5],
    ['27700', 530000, 180000, 5],
  ];
  for (const [code, x, y, tolerance] of cases) {
    it(`returns longitude, latitude within ${tolerance} m of GDAL for EPSG:${code}`, () => {
      const [longitude, latitude] = gdalTransform(`EPSG:${code}`, '+proj=longlat +datum=WGS84', x, y);
      const out = new Float64Array(2);
      createHorizontalTransform(resolveCrs(`EPSG:${code}`))(x, y, out);
      const metresPerDegree = 111_320;
      expect(
        Math.abs(out[0] - longitude) * metresPerDegree * Math.cos((latitude * Math.PI) / 180),
      ).toBeLessThan(tolerance);
      expect(Math.abs(out[1] - latitude) * metresPerDegree).toBeLessThan(tolerance);
    });
  }

  // ETRS89 / RGF93 CRSs take the direct inverse projection, Bessel ones (datum shift) proj4's full pipeline: both must
  // give exactly what proj4's own transform gives, or the tiles would change.
  for (const code of ['25832', '25833', '3035', '2154', '28992', '3068']) {
    it(`returns the same bits as proj4's full transform for EPSG:${code}`, () => {
      const crs = resolveCrs(`EPSG:${code}`);
      const converter = proj4(crs.proj4Definition, 'WGS84');
      const transform = createHorizontalTransform(crs);
      const [x0, y0] = converter.inverse([crs.horizontalCode === 3035 ? 10 : 9.5, 51]);
      const out = new Float64Array(2);
      for (let step = 0; step < 200; step++) {
        const x = x0 + step * 397.3;
        const y = y0 - step * 211.7;
        transform(x, y, out);
        const expected = converter.forward([x, y]);
        expect([out[0], out[1]]).toEqual([expected[0], expected[1]]);
      }
    });
  }

  it('swaps latitude-first input for EPSG:6697 URLs', () => {
    const out = new Float64Array(2);
    createHorizontalTransform(resolveCrs('http://www.opengis.net/def/crs/EPSG/0/6697'))(35.6, 139.7, out);
    expect(out[0]).toBeCloseTo(139.7, 6);
    expect(out[1]).toBeCloseTo(35.6, 6);
  });
});

describe('geodeticToEcef', () => {
  it('returns the ECEF coordinates GDAL computes for EPSG:4979 → EPSG:4978', () => {
    const [x, y, z] = gdalTransform('EPSG:4979', 'EPSG:4978', 8.4, 49.1, 112);
    const out = new Float64Array(3);
    geodeticToEcef(8.4, 49.1, 112, out, 0);
    expect(Math.hypot(out[0] - x, out[1] - y, out[2] - z)).toBeLessThan(0.001);
    const [longitude, latitude, height] = ecefToGeodetic(out[0], out[1], out[2]);
    expect(longitude).toBeCloseTo(8.4, 9);
    expect(latitude).toBeCloseTo(49.1, 9);
    expect(height).toBeCloseTo(112, 3);
  });
});

describe('placeOnBasis', () => {
  it('returns points on the vertical through the basis point when one basis serves several heights', () => {
    const basis = new Float64Array(2 + GEODETIC_BASIS_SIZE);
    geodeticBasis(8.4, 49.1, basis, 2);
    const out = new Float64Array(7);
    placeOnBasis(basis, 2, 100, out, 1);
    placeOnBasis(basis, 2, 150, out, 4);
    const low = Array.from(out.subarray(1, 4));
    const high = Array.from(out.subarray(4, 7));
    // 50 m apart along the ellipsoid normal at 49.1°N 8.4°E: (cos φ cos λ, cos φ sin λ, sin φ).
    const phi = (49.1 * Math.PI) / 180;
    const lambda = (8.4 * Math.PI) / 180;
    const normal = [Math.cos(phi) * Math.cos(lambda), Math.cos(phi) * Math.sin(lambda), Math.sin(phi)];
    normal.forEach((component, axis) => expect(high[axis] - low[axis]).toBeCloseTo(50 * component, 6));
    expect(ecefToGeodetic(low[0], low[1], low[2])[2]).toBeCloseTo(100, 3);
    expect(ecefToGeodetic(high[0], high[1], high[2])[2]).toBeCloseTo(150, 3);
    expect(out[0]).toBe(0);
  });
});
