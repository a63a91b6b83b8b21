// Places simulated sensors in the demo district, deterministically: air quality and noise stations on building
// facades, weather stations on the tallest roofs, a traffic counter on every street segment, on-street parking spots
// and street lights along the kerbs, garages as OffStreetParking, and one Device per measuring sensor.
import type { LineString, Point } from 'geojson';
import { projectToWgs84 } from '../city/district';
import type {
  DemoArea,
  DemoBuilding,
  DemoDistrict,
  DemoStreet,
  EastingNorthing,
  LonLat,
} from '../city/types';
import type { NgsiLdEntity, SimulatedEntityType, SimulatedSensor } from './model';
import { hashString, round } from './patterns';

/** Options of {@link createSimulatedSensors}. */
export interface SimulatedSensorOptions {
  /** Multiplies the default number of sensors of each kind (default 1). */
  density?: number;
  /** Upper bound on the number of simulated entities, devices included (default 5,000); kinds shrink evenly. */
  maximumSensors?: number;
}

const DEFAULT_MAXIMUM_SENSORS = 5_000;
/** Metres between street lights along one side of a street. */
const STREET_LIGHT_SPACING = 45;

function entityId(type: string, suffix: string): string {
  return `urn:ngsi-ld:${type}:${suffix}`;
}

/** The urn of a demo building, as the 3D Tiles feature id and CityGML gml:id name it. */
export function buildingEntityId(buildingId: string): string {
  return entityId('Building', buildingId);
}

function ringCentroid(ring: Array<[number, number]>): [number, number] {
  const open = ring.length > 1 ? ring.slice(0, -1) : ring;
  const sum = open.reduce<[number, number]>((total, [x, y]) => [total[0] + x, total[1] + y], [0, 0]);
  return [sum[0] / open.length, sum[1] / open.length];
}

function lonLat(point: [number, number]): LonLat {
  return [round(point[0], 7), round(point[1], 7)];
}

function pointGeometry(position: LonLat): Point {
  return { type: 'Point', coordinates: [position[0], position[1]] };
}

function lineGeometry(positions: LonLat[]): LineString {
  return { type: 'LineString', coordinates: positions.map(([x, y]) => [x, y]) };
}

function footprintArea(ring: EastingNorthing[]): number {
  let sum = 0;
  for (let index = 0; index + 1 < ring.length; index++) {
    sum += ring[index]![0] * ring[index + 1]![1] - ring[index + 1]![0] * ring[index]![1];
  }
  return Math.abs(sum) / 2;
}

/** Planar distance in metres from a projected point to a projected polyline. */
function distanceToPolyline(point: EastingNorthing, line: EastingNorthing[]): number {
  let best = Infinity;
  for (let index = 0; index + 1 < line.length; index++) {
    const [ax, ay] = line[index]!;
    const [bx, by] = line[index + 1]!;
    const dx = bx - ax;
    const dy = by - ay;
    const length = dx * dx + dy * dy;
    const t =
      length === 0 ? 0 : Math.max(0, Math.min(1, ((point[0] - ax) * dx + (point[1] - ay) * dy) / length));
    best = Math.min(best, Math.hypot(ax + t * dx - point[0], ay + t * dy - point[1]));
  }
  return best;
}

/** `count` indices spread evenly over `length` items, shifted by `phase` of a step so kinds do not share items. */
function spreadIndices(length: number, count: number, phase: number): number[] {
  const indices: number[] = [];
  for (let index = 0; index < Math.min(count, length); index++) {
    indices.push(Math.min(length - 1, Math.floor(((index + phase) * length) / count)));
  }
  return [...new Set(indices)];
}

/** Lon/lat positions along a street's kerbs every `spacing` metres, alternating sides, `inset` metres from the edge. */
function kerbPositions(street: DemoStreet, spacing: number, inset: number, limit: number): LonLat[] {
  const line = street.centerlineProjected;
  const positions: LonLat[] = [];
  let side = 1;
  for (let index = 0; index + 1 < line.length && positions.length < limit; index++) {
    const [ax, ay] = line[index]!;
    const [bx, by] = line[index + 1]!;
    const length = Math.hypot(bx - ax, by - ay);
    if (length === 0) continue;
    const [ux, uy] = [(bx - ax) / length, (by - ay) / length];
    const offset = street.widthMetres / 2 - inset;
    for (let along = spacing / 2; along < length && positions.length < limit; along += spacing) {
      const projected: EastingNorthing = [
        ax + ux * along - uy * offset * side,
        ay + uy * along + ux * offset * side,
      ];
      positions.push(lonLat(projectToWgs84(projected)));
      side = -side;
    }
  }
  return positions;
}

interface Placement {
  district: DemoDistrict;
  mainStreets: DemoStreet[];
  pointsOfInterest: Array<{ park: DemoArea; centroid: EastingNorthing }>;
}

function exposureAt(placement: Placement, projected: EastingNorthing): number {
  const nearest = Math.min(
    ...placement.mainStreets.map((street) => distanceToPolyline(projected, street.centerlineProjected)),
    Infinity,
  );
  // Beside a main street (within 40 m) fully exposed; quiet inner blocks about half as much.
  return round(Math.max(0.45, Math.min(1, 1 - (nearest - 40) / 300)), 2);
}

function nearestPointOfInterest(placement: Placement, projected: EastingNorthing): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const { park, centroid } of placement.pointsOfInterest) {
    const distance = Math.hypot(centroid[0] - projected[0], centroid[1] - projected[1]);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = entityId('PointOfInterest', park.id);
    }
  }
  return best;
}

function deviceFor(
  sensor: SimulatedSensor,
  slug: string,
  suffix: string,
  measures: string[],
): SimulatedSensor {
  const id = entityId('Device', `${slug}-${suffix}`);
  sensor.refDevice = id;
  return {
    id,
    type: 'Device',
    name: `${sensor.name} (device)`,
    location: pointGeometry(sensor.position),
    position: sensor.position,
    seed: hashString(id),
    refBuilding: sensor.refBuilding,
    controlledProperty: measures,
    capacity: 0,
    exposure: sensor.exposure,
    address: sensor.address,
  };
}

function buildingSensor(
  placement: Placement,
  type: SimulatedEntityType,
  building: DemoBuilding,
  label: string,
): SimulatedSensor {
  const centroidProjected = ringCentroid(building.footprint);
  const position = lonLat(ringCentroid(building.footprintLonLat));
  const id = entityId(type, building.id);
  return {
    id,
    type,
    name: `${label} ${building.address.street} ${building.address.houseNumber}`,
    location: pointGeometry(position),
    position,
    seed: hashString(id),
    refBuilding: buildingEntityId(building.id),
    capacity: 0,
    exposure: exposureAt(placement, centroidProjected),
    address: building.address,
  };
}

/**
 * The district's simulated sensors, deterministic for a given district and options (same ids, places and seeds).
 * Default counts for n buildings and s streets: n/150 air quality and n/120 noise stations (at least 2), n/1200
 * weather stations (at least 1), one traffic counter per street segment, n/8 on-street parking spots, n/300 garages,
 * street lights every 45 m, and a Device per air quality, noise, weather, traffic and parking-spot sensor.
 */
export function createSimulatedSensors(
  district: DemoDistrict,
  options: SimulatedSensorOptions = {},
): SimulatedSensor[] {
  const density = options.density ?? 1;
  const maximum = options.maximumSensors ?? DEFAULT_MAXIMUM_SENSORS;
  if (!(density > 0) || !Number.isFinite(density))
    throw new RangeError(`density must be > 0, got ${density}`);
  if (!Number.isInteger(maximum) || maximum < 1)
    throw new RangeError(`maximumSensors must be >= 1, got ${maximum}`);
  const placement: Placement = {
    district,
    mainStreets: district.streets.filter((street) => street.hasBikeLane),
    pointsOfInterest: district.parks.map((park) => ({
      park,
      centroid: ringCentroid(park.polygonProjected) as EastingNorthing,
    })),
  };
  const buildings = [...district.buildings].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const streets = [...district.streets].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const n = buildings.length;
  const streetLength = (street: DemoStreet): number => {
    let length = 0;
    const line = street.centerlineProjected;
    for (let index = 0; index + 1 < line.length; index++) {
      length += Math.hypot(line[index + 1]![0] - line[index]![0], line[index + 1]![1] - line[index]![1]);
    }
    return length;
  };
  const raw = {
    air: Math.max(2, Math.round((n / 150) * density)),
    noise: Math.max(2, Math.round((n / 120) * density)),
    weather: Math.max(1, Math.round((n / 1200) * density)),
    traffic: Math.min(streets.length, Math.max(1, Math.round(streets.length * density))),
    spots: Math.max(streets.length > 0 ? 1 : 0, Math.round((n / 8) * density)),
    garages: Math.max(1, Math.round((n / 300) * density)),
    lights: Math.round(
      streets.reduce(
        (total, street) => total + Math.floor(streetLength(street) / STREET_LIGHT_SPACING) * 2,
        0,
      ) * Math.min(1, density),
    ),
  };
  // Devices double the measuring kinds.
  const total = 2 * (raw.air + raw.noise + raw.weather + raw.traffic + raw.spots) + raw.garages + raw.lights;
  const factor = Math.min(1, maximum / total);
  const count = (value: number, minimum: number): number => Math.max(minimum, Math.floor(value * factor));
  const counts = {
    air: count(raw.air, 1),
    noise: count(raw.noise, 1),
    weather: count(raw.weather, 1),
    traffic: count(raw.traffic, 1),
    spots: count(raw.spots, 0),
    garages: count(raw.garages, 0),
    lights: count(raw.lights, 0),
  };

  const sensors: SimulatedSensor[] = [];
  const devices: SimulatedSensor[] = [];
  const usedBuildings = new Set<string>();
  // Evenly spread buildings; one already carrying a sensor hands over to the next free one.
  const pick = (count: number, phase: number): DemoBuilding[] => {
    const picked: DemoBuilding[] = [];
    for (const start of spreadIndices(n, count, phase)) {
      for (let offset = 0; offset < n; offset++) {
        const building = buildings[(start + offset) % n]!;
        if (usedBuildings.has(building.id)) continue;
        usedBuildings.add(building.id);
        picked.push(building);
        break;
      }
    }
    return picked;
  };

  // Garages first: they are the only buildings of their kind.
  const garages = buildings.filter(
    (building) => building.function.code === '1630' && !usedBuildings.has(building.id),
  );
  const garageCandidates = garages.length > 0 ? garages : buildings;
  for (const index of spreadIndices(garageCandidates.length, counts.garages, 0.5)) {
    const building = garageCandidates[index]!;
    if (usedBuildings.has(building.id)) continue;
    usedBuildings.add(building.id);
    const sensor = buildingSensor(placement, 'OffStreetParking', building, 'Car park');
    // A parking level holds a spot per 25 m² of floor.
    sensor.capacity = Math.round(
      Math.min(800, Math.max(20, (footprintArea(building.footprint) * building.storeysAboveGround) / 25)),
    );
    delete sensor.refBuilding;
    sensors.push(sensor);
  }
  const tallest = [...buildings]
    .filter((building) => !usedBuildings.has(building.id))
    .sort((a, b) => b.measuredHeight - a.measuredHeight);
  for (const building of tallest.slice(0, counts.weather)) {
    usedBuildings.add(building.id);
    const sensor = buildingSensor(placement, 'WeatherObserved', building, 'Weather station');
    sensors.push(sensor);
    devices.push(
      deviceFor(sensor, 'weather', building.id, [
        'temperature',
        'relativeHumidity',
        'atmosphericPressure',
        'windSpeed',
        'windDirection',
        'precipitation',
      ]),
    );
  }
  for (const building of pick(counts.air, 0.5)) {
    const sensor = buildingSensor(placement, 'AirQualityObserved', building, 'Air quality');
    sensor.refPointOfInterest = nearestPointOfInterest(
      placement,
      ringCentroid(building.footprint) as EastingNorthing,
    );
    sensors.push(sensor);
    devices.push(deviceFor(sensor, 'air', building.id, ['no2', 'pm10', 'pm25']));
  }
  for (const building of pick(counts.noise, 0.2)) {
    const sensor = buildingSensor(placement, 'NoiseLevelObserved', building, 'Noise');
    sensors.push(sensor);
    devices.push(deviceFor(sensor, 'noise', building.id, ['LAeq', 'LAmax', 'LAS']));
  }
  for (const index of spreadIndices(streets.length, counts.traffic, 0.5)) {
    const street = streets[index]!;
    const id = entityId('TrafficFlowObserved', street.id);
    const middle = street.centerline.length >= 2 ? Math.floor((street.centerline.length - 1) / 2) : 0;
    const [a, b] = [
      street.centerline[middle]!,
      street.centerline[Math.min(middle + 1, street.centerline.length - 1)]!,
    ];
    const position = lonLat([(a[0] + b[0]) / 2, (a[1] + b[1]) / 2]);
    const sensor: SimulatedSensor = {
      id,
      type: 'TrafficFlowObserved',
      name: street.name,
      location: lineGeometry(street.centerline.map((point) => lonLat(point))),
      position,
      seed: hashString(id),
      capacity: street.hasBikeLane ? 1400 : 350,
      speedLimit: street.hasBikeLane ? 50 : 30,
      exposure: 1,
    };
    sensors.push(sensor);
    devices.push(deviceFor(sensor, 'traffic', street.id, ['intensity', 'averageVehicleSpeed', 'occupancy']));
  }
  const spotsPerStreet = streets.length > 0 ? Math.ceil(counts.spots / streets.length) : 0;
  let spotCount = 0;
  for (const street of streets) {
    if (spotCount >= counts.spots) break;
    const positions = kerbPositions(street, 12, 1.2, Math.min(spotsPerStreet, counts.spots - spotCount));
    positions.forEach((position, number) => {
      const id = entityId('ParkingSpot', `${street.id}-${number + 1}`);
      const sensor: SimulatedSensor = {
        id,
        type: 'ParkingSpot',
        name: `${street.name} ${number + 1}`,
        location: pointGeometry(position),
        position,
        seed: hashString(id),
        refParkingSite: entityId('OnStreetParking', street.id),
        capacity: 1,
        exposure: street.hasBikeLane ? 1 : 0.6,
      };
      sensors.push(sensor);
      devices.push(deviceFor(sensor, 'parking', `${street.id}-${number + 1}`, ['occupancy']));
    });
    spotCount += positions.length;
  }
  const lightsPerStreet = streets.length > 0 ? Math.ceil(counts.lights / streets.length) : 0;
  let lightCount = 0;
  for (const street of streets) {
    if (lightCount >= counts.lights) break;
    const positions = kerbPositions(
      street,
      STREET_LIGHT_SPACING / 2,
      0.5,
      Math.min(lightsPerStreet, counts.lights - lightCount),
    );
    positions.forEach((position, number) => {
      const id = entityId('StreetLight', `${street.id}-${number + 1}`);
      sensors.push({
        id,
        type: 'StreetLight',
        name: `${street.name} light ${number + 1}`,
        location: pointGeometry(position),
        position,
        seed: hashString(id),
        capacity: 0,
        exposure: street.hasBikeLane ? 1 : 0.6,
      });
    });
    lightCount += positions.length;
  }
  return [...sensors, ...devices];
}

/**
 * Entities the sensors refer to that do not change: a PointOfInterest per park and an OnStreetParking per street
 * with parking spots. Written once, before the sensors.
 */
export function createSupportingEntities(district: DemoDistrict, sensors: SimulatedSensor[]): NgsiLdEntity[] {
  const entities: NgsiLdEntity[] = [];
  for (const park of district.parks) {
    entities.push({
      id: entityId('PointOfInterest', park.id),
      type: 'PointOfInterest',
      name: { type: 'Property', value: park.name },
      category: { type: 'Property', value: ['park'] },
      location: { type: 'GeoProperty', value: pointGeometry(lonLat(ringCentroid(park.polygon))) },
    });
  }
  const spotsBySite = new Map<string, number>();
  for (const sensor of sensors) {
    if (sensor.refParkingSite)
      spotsBySite.set(sensor.refParkingSite, (spotsBySite.get(sensor.refParkingSite) ?? 0) + 1);
  }
  for (const street of district.streets) {
    const id = entityId('OnStreetParking', street.id);
    const spots = spotsBySite.get(id);
    if (spots === undefined) continue;
    entities.push({
      id,
      type: 'OnStreetParking',
      name: { type: 'Property', value: street.name },
      category: { type: 'Property', value: street.hasBikeLane ? ['feeCharged', 'shortTerm'] : ['free'] },
      allowedVehicleType: { type: 'Property', value: ['car'] },
      totalSpotNumber: { type: 'Property', value: spots },
      location: { type: 'GeoProperty', value: lineGeometry(street.centerline.map((point) => lonLat(point))) },
    });
  }
  return entities;
}
