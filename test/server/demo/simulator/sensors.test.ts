// Sensor placement: deterministic, stable ids, devices and buildings linked, every sensor where its kind belongs.
import { describe, expect, it } from 'vitest';
import { createDemoDistrict } from '../../../../server/demo/city/district';
import type { DemoDistrict } from '../../../../server/demo/city/types';
import {
  createSimulatedSensors,
  createSupportingEntities,
  type SimulatedSensor,
} from '../../../../server/demo/simulator';
import { distanceMeters, within, type Geometry } from '../../../../server/geometry';
import { normalizedEntityProblems } from './normalized-entity';

/** A hand-made district: three buildings on one street, one park. Projected coordinates are only used for lengths. */
const TINY_DISTRICT: DemoDistrict = {
  name: 'Tiny',
  crs: 'EPSG:25832',
  bounds: [8.66, 49.87, 8.67, 49.88],
  buildings: [
    {
      id: 'b-1',
      address: { street: 'Teststraße', houseNumber: '1', postalCode: '64283', city: 'Darmstadt' },
      footprint: [
        [475000, 5525000],
        [475020, 5525000],
        [475020, 5525010],
        [475000, 5525010],
        [475000, 5525000],
      ],
      footprintLonLat: [
        [8.66, 49.87],
        [8.6603, 49.87],
        [8.6603, 49.8701],
        [8.66, 49.8701],
        [8.66, 49.87],
      ],
      groundHeight: 140,
      measuredHeight: 12,
      storeysAboveGround: 4,
      roofType: 'flat',
      function: { code: '1000', label: 'residential building' },
      yearOfConstruction: 1900,
      districtId: 'd-1',
      blockId: 'k-1',
    },
    {
      id: 'b-2',
      address: { street: 'Teststraße', houseNumber: '2', postalCode: '64283', city: 'Darmstadt' },
      footprint: [
        [475100, 5525000],
        [475130, 5525000],
        [475130, 5525020],
        [475100, 5525020],
        [475100, 5525000],
      ],
      footprintLonLat: [
        [8.6614, 49.87],
        [8.6618, 49.87],
        [8.6618, 49.8702],
        [8.6614, 49.8702],
        [8.6614, 49.87],
      ],
      groundHeight: 141,
      measuredHeight: 30,
      storeysAboveGround: 3,
      roofType: 'flat',
      function: { code: '1630', label: 'garage' },
      yearOfConstruction: 1970,
      districtId: 'd-1',
      blockId: 'k-1',
    },
    {
      id: 'b-3',
      address: { street: 'Teststraße', houseNumber: '3', postalCode: '64283', city: 'Darmstadt' },
      footprint: [
        [475040, 5525000],
        [475060, 5525000],
        [475060, 5525010],
        [475040, 5525010],
        [475040, 5525000],
      ],
      footprintLonLat: [
        [8.6606, 49.87],
        [8.6609, 49.87],
        [8.6609, 49.8701],
        [8.6606, 49.8701],
        [8.6606, 49.87],
      ],
      groundHeight: 140,
      measuredHeight: 15,
      storeysAboveGround: 5,
      roofType: 'gabled',
      function: { code: '1000', label: 'residential building' },
      yearOfConstruction: 1905,
      districtId: 'd-1',
      blockId: 'k-1',
    },
  ],
  streets: [
    {
      id: 's-1',
      name: 'Teststraße',
      centerline: [
        [8.66, 49.8699],
        [8.6625, 49.8699],
      ],
      centerlineProjected: [
        [475000, 5524990],
        [475180, 5524990],
      ],
      widthMetres: 20,
      hasBikeLane: true,
    },
  ],
  districts: [],
  blocks: [],
  parks: [
    {
      id: 'p-1',
      name: 'Testpark',
      polygon: [
        [8.663, 49.871],
        [8.664, 49.871],
        [8.664, 49.872],
        [8.663, 49.872],
        [8.663, 49.871],
      ],
      polygonProjected: [
        [475200, 5525100],
        [475270, 5525100],
        [475270, 5525210],
        [475200, 5525210],
        [475200, 5525100],
      ],
    },
  ],
  trees: [],
};

function byType(sensors: SimulatedSensor[], type: SimulatedSensor['type']): SimulatedSensor[] {
  return sensors.filter((sensor) => sensor.type === type);
}

describe('createSimulatedSensors', () => {
  const district = createDemoDistrict({ buildingCount: 300 });
  const sensors = createSimulatedSensors(district);

  it('returns the same sensors for the same district', () => {
    expect(createSimulatedSensors(createDemoDistrict({ buildingCount: 300 }))).toEqual(sensors);
  });

  it('gives every sensor a unique urn:ngsi-ld:<Type>:<id> id', () => {
    const ids = sensors.map((sensor) => sensor.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const sensor of sensors)
      expect(sensor.id).toMatch(new RegExp(`^urn:ngsi-ld:${sensor.type}:[\\w-]+$`));
  });

  it('places each kind in the numbers documented for 300 buildings', () => {
    // n/150 air (2), n/120 noise (2.5 → 3), n/1200 weather (min 1), one traffic counter per street, n/8 spots (38).
    expect(byType(sensors, 'AirQualityObserved')).toHaveLength(2);
    expect(byType(sensors, 'NoiseLevelObserved')).toHaveLength(3);
    expect(byType(sensors, 'WeatherObserved')).toHaveLength(1);
    expect(byType(sensors, 'TrafficFlowObserved')).toHaveLength(district.streets.length);
    expect(byType(sensors, 'ParkingSpot')).toHaveLength(38);
    expect(byType(sensors, 'OffStreetParking')).toHaveLength(1);
    expect(byType(sensors, 'StreetLight').length).toBeGreaterThan(district.streets.length);
  });

  it('links every measuring sensor to its own Device, mounted on the same building', () => {
    const devices = new Map(byType(sensors, 'Device').map((device) => [device.id, device]));
    const measuring = sensors.filter(
      (sensor) => !['Device', 'StreetLight', 'OffStreetParking'].includes(sensor.type),
    );
    expect(devices.size).toBe(measuring.length);
    for (const sensor of measuring) {
      const device = devices.get(sensor.refDevice!);
      expect(device, sensor.id).toBeDefined();
      expect(device!.refBuilding).toBe(sensor.refBuilding);
      expect(device!.location).toEqual(sensor.position && { type: 'Point', coordinates: sensor.position });
    }
  });

  it('mounts building sensors inside the footprint of the building they refer to', () => {
    const buildings = new Map(
      district.buildings.map((building) => [`urn:ngsi-ld:Building:${building.id}`, building]),
    );
    const mounted = sensors.filter((sensor) => sensor.refBuilding !== undefined);
    expect(mounted.length).toBeGreaterThan(6);
    for (const sensor of mounted) {
      const building = buildings.get(sensor.refBuilding!);
      expect(building, sensor.refBuilding).toBeDefined();
      const footprint: Geometry = { type: 'Polygon', coordinates: [building!.footprintLonLat] };
      expect(within(sensor.location, footprint), sensor.id).toBe(true);
    }
  });

  it('puts weather stations on the tallest building that is not a garage', () => {
    const tallest = [...district.buildings]
      .filter((building) => building.function.code !== '1630')
      .sort((a, b) => b.measuredHeight - a.measuredHeight)[0]!;
    expect(byType(sensors, 'WeatherObserved')[0]!.refBuilding).toBe(`urn:ngsi-ld:Building:${tallest.id}`);
  });

  it('lays traffic counters on their street segment and spots and lights within the street', () => {
    const streets = new Map(district.streets.map((street) => [street.id, street]));
    for (const sensor of byType(sensors, 'TrafficFlowObserved')) {
      const street = streets.get(sensor.id.split(':').pop()!)!;
      expect(sensor.location.type).toBe('LineString');
      expect(sensor.location.coordinates).toHaveLength(street.centerline.length);
    }
    for (const sensor of [...byType(sensors, 'ParkingSpot'), ...byType(sensors, 'StreetLight')]) {
      const streetId = sensor.id.split(':').pop()!.replace(/-\d+$/, '');
      const street = streets.get(streetId)!;
      const centreLine: Geometry = { type: 'LineString', coordinates: street.centerline };
      // On the carriageway or its kerb: no farther from the centre line than half the street width (+ rounding).
      expect(distanceMeters(sensor.location, centreLine), sensor.id).toBeLessThanOrEqual(
        street.widthMetres / 2 + 0.5,
      );
    }
  });

  it('keeps the total under maximumSensors', () => {
    const limited = createSimulatedSensors(createDemoDistrict({ buildingCount: 2000 }), {
      maximumSensors: 400,
    });
    expect(limited.length).toBeLessThanOrEqual(400);
    expect(byType(limited, 'AirQualityObserved').length).toBeGreaterThan(0);
    expect(byType(limited, 'TrafficFlowObserved').length).toBeGreaterThan(0);
  });

  it('throws a RangeError for a density or maximum that makes no sense', () => {
    expect(() => createSimulatedSensors(district, { density: 0 })).toThrow(RangeError);
    expect(() => createSimulatedSensors(district, { maximumSensors: 0.5 })).toThrow(RangeError);
  });

  it('places sensors of a hand-made district where its geometry says', () => {
    const tiny = createSimulatedSensors(TINY_DISTRICT);
    const traffic = byType(tiny, 'TrafficFlowObserved');
    expect(traffic.map((sensor) => sensor.id)).toEqual(['urn:ngsi-ld:TrafficFlowObserved:s-1']);
    expect(traffic[0]!.location).toEqual({
      type: 'LineString',
      coordinates: TINY_DISTRICT.streets[0]!.centerline,
    });
    // The only garage becomes the car park; capacity is floor area / 25 m² = 30 × 20 × 3 / 25 = 72 spots.
    const parking = byType(tiny, 'OffStreetParking');
    expect(parking.map((sensor) => sensor.id)).toEqual(['urn:ngsi-ld:OffStreetParking:b-2']);
    expect(parking[0]!.capacity).toBe(72);
    // The garage b-2 is also the tallest; the weather station goes on the tallest of the others, b-3 (15 m).
    const weather = byType(tiny, 'WeatherObserved');
    expect(weather.map((sensor) => sensor.refBuilding)).toEqual(['urn:ngsi-ld:Building:b-3']);
    // Air quality on b-1 at the centroid of its footprint, pointing at the only park.
    const air = byType(tiny, 'AirQualityObserved');
    expect(air[0]!.location).toEqual({ type: 'Point', coordinates: [8.66015, 49.87005] });
    expect(air[0]!.refPointOfInterest).toBe('urn:ngsi-ld:PointOfInterest:p-1');
  });
});

describe('createSupportingEntities', () => {
  const district = createDemoDistrict({ buildingCount: 300 });
  const sensors = createSimulatedSensors(district);
  const supporting = createSupportingEntities(district, sensors);

  it('returns a PointOfInterest per park and an OnStreetParking for every parking site a spot refers to', () => {
    const ids = new Set(supporting.map((entity) => entity.id));
    expect(supporting.filter((entity) => entity.type === 'PointOfInterest')).toHaveLength(
      district.parks.length,
    );
    for (const sensor of sensors) {
      if (sensor.refParkingSite) expect(ids.has(sensor.refParkingSite), sensor.refParkingSite).toBe(true);
      if (sensor.refPointOfInterest) expect(ids.has(sensor.refPointOfInterest)).toBe(true);
    }
  });

  it('returns valid normalized entities with spot totals that match the spots', () => {
    for (const entity of supporting) expect(normalizedEntityProblems(entity), entity.id).toEqual([]);
    for (const site of supporting.filter((entity) => entity.type === 'OnStreetParking')) {
      const spots = sensors.filter((sensor) => sensor.refParkingSite === site.id).length;
      expect(site['totalSpotNumber']).toEqual({ type: 'Property', value: spots });
    }
  });
});
