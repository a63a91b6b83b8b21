// Observations: deterministic, in physically plausible ranges, following the day as documented.
import { describe, expect, it } from 'vitest';
import { createDemoDistrict } from '../../../../server/demo/city/district';
import {
  createSensorEntity,
  createSimulatedSensors,
  nextObservation,
  type SimulatedSensor,
} from '../../../../server/demo/simulator';
import { normalizedEntityProblems } from './normalized-entity';

const district = createDemoDistrict({ buildingCount: 600 });
const sensors = createSimulatedSensors(district);
const ofType = (type: SimulatedSensor['type']) => sensors.filter((sensor) => sensor.type === type);

/** Local solar time at the district (≈ 8.66° E, 34.6 minutes ahead of UTC) on a date. */
function solar(date: string, hour: number): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) + (hour - 8.66 / 15) * 3_600_000);
}

function value(sensor: SimulatedSensor, time: Date, attribute: string): unknown {
  const observed = nextObservation(sensor, time)[attribute] as { value: unknown };
  return observed.value;
}

function average(numbers: number[]): number {
  return numbers.reduce((total, number) => total + number, 0) / numbers.length;
}

// 2026-03-10 is a Tuesday, 2026-03-15 a Sunday.
const TUESDAY = '2026-03-10';
const SUNDAY = '2026-03-15';

describe('nextObservation', () => {
  it('returns the same attributes for the same sensor and time', () => {
    const time = new Date('2026-06-01T10:00:00Z');
    for (const sensor of sensors.slice(0, 200))
      expect(nextObservation(sensor, time)).toEqual(nextObservation(sensor, time));
  });

  it('returns normalized Properties with observedAt at the given time', () => {
    const time = new Date('2026-06-01T10:00:00.000Z');
    for (const sensor of sensors) {
      const attributes = nextObservation(sensor, time);
      expect(
        normalizedEntityProblems({ id: sensor.id, type: sensor.type, ...attributes }),
        sensor.id,
      ).toEqual([]);
      for (const [name, attribute] of Object.entries(attributes)) {
        if (name.startsWith('date')) continue;
        expect(attribute, `${sensor.id} ${name}`).toMatchObject({
          type: 'Property',
          observedAt: '2026-06-01T10:00:00.000Z',
        });
      }
    }
  });

  it('reports the documented units: µg/m³ (GQ), dB (2N), km/h (KMH), °C (CEL), hPa (A97)', () => {
    const time = new Date('2026-06-01T10:00:00Z');
    const unit = (sensor: SimulatedSensor, name: string) =>
      (nextObservation(sensor, time)[name] as { unitCode?: string }).unitCode;
    const air = ofType('AirQualityObserved')[0]!;
    expect([unit(air, 'no2'), unit(air, 'pm10'), unit(air, 'pm25')]).toEqual(['GQ', 'GQ', 'GQ']);
    expect(unit(ofType('NoiseLevelObserved')[0]!, 'LAeq')).toBe('2N');
    expect(unit(ofType('TrafficFlowObserved')[0]!, 'averageVehicleSpeed')).toBe('KMH');
    expect(unit(ofType('WeatherObserved')[0]!, 'temperature')).toBe('CEL');
    expect(unit(ofType('WeatherObserved')[0]!, 'atmosphericPressure')).toBe('A97');
  });

  it('keeps every value in a plausible range over a year sampled every 13 hours', () => {
    const start = Date.parse('2026-01-01T00:00:00Z');
    const sample = [
      ...ofType('AirQualityObserved'),
      ...ofType('NoiseLevelObserved'),
      ...ofType('TrafficFlowObserved').slice(0, 5),
      ...ofType('WeatherObserved'),
      ...ofType('OffStreetParking'),
      ...ofType('Device').slice(0, 5),
    ];
    for (let step = 0; step < (365 * 24) / 13; step++) {
      const time = new Date(start + step * 13 * 3_600_000);
      for (const sensor of sample) {
        const v = (name: string) => value(sensor, time, name) as number;
        switch (sensor.type) {
          case 'AirQualityObserved':
            expect(v('no2')).toBeGreaterThanOrEqual(2);
            expect(v('no2')).toBeLessThan(200);
            expect(v('pm10')).toBeGreaterThanOrEqual(3);
            expect(v('pm10')).toBeLessThan(100);
            expect(v('pm25')).toBeLessThanOrEqual(v('pm10'));
            break;
          case 'NoiseLevelObserved':
            expect(v('LAeq')).toBeGreaterThanOrEqual(30);
            expect(v('LAeq')).toBeLessThanOrEqual(90);
            expect(v('LAmax')).toBeGreaterThan(v('LAeq'));
            break;
          case 'TrafficFlowObserved':
            expect(v('intensity')).toBeGreaterThanOrEqual(0);
            expect(v('averageVehicleSpeed')).toBeLessThanOrEqual((sensor.speedLimit ?? 50) * 1.2);
            expect(v('occupancy')).toBeLessThanOrEqual(1);
            break;
          case 'WeatherObserved':
            expect(v('temperature')).toBeGreaterThan(-20);
            expect(v('temperature')).toBeLessThan(40);
            expect(v('relativeHumidity')).toBeGreaterThanOrEqual(0.2);
            expect(v('relativeHumidity')).toBeLessThanOrEqual(1);
            expect(v('atmosphericPressure')).toBeGreaterThan(980);
            expect(v('atmosphericPressure')).toBeLessThan(1040);
            expect(v('windDirection')).toBeGreaterThanOrEqual(0);
            expect(v('windDirection')).toBeLessThan(360);
            break;
          case 'OffStreetParking':
            expect(v('availableSpotNumber') + v('occupiedSpotNumber')).toBe(sensor.capacity);
            expect(v('availableSpotNumber')).toBeGreaterThanOrEqual(0);
            break;
          case 'Device':
            expect(v('batteryLevel')).toBeGreaterThanOrEqual(0.05);
            expect(v('batteryLevel')).toBeLessThanOrEqual(1);
            break;
        }
      }
    }
  });

  it('counts far more traffic in the morning rush hour than at night, and less on Sunday mornings', () => {
    const traffic = ofType('TrafficFlowObserved');
    const rush = average(traffic.map((sensor) => value(sensor, solar(TUESDAY, 8), 'intensity') as number));
    const night = average(traffic.map((sensor) => value(sensor, solar(TUESDAY, 3), 'intensity') as number));
    const sundayMorning = average(
      traffic.map((sensor) => value(sensor, solar(SUNDAY, 8), 'intensity') as number),
    );
    expect(rush).toBeGreaterThan(5 * night);
    expect(sundayMorning).toBeLessThan(rush / 2);
    // Congestion slows traffic down: slower at rush hour than at night.
    const speed = (hour: number) =>
      average(traffic.map((sensor) => value(sensor, solar(TUESDAY, hour), 'averageVehicleSpeed') as number));
    expect(speed(8)).toBeLessThan(speed(3));
  });

  it('measures more NO2 and noise at the evening rush hour than at night', () => {
    const air = ofType('AirQualityObserved');
    const noise = ofType('NoiseLevelObserved');
    const no2 = (hour: number) =>
      average(air.map((sensor) => value(sensor, solar(TUESDAY, hour), 'no2') as number));
    const laeq = (hour: number) =>
      average(noise.map((sensor) => value(sensor, solar(TUESDAY, hour), 'LAeq') as number));
    expect(no2(17)).toBeGreaterThan(no2(3) * 1.5);
    expect(laeq(17)).toBeGreaterThan(laeq(3) + 6);
  });

  it('is warmer in the July afternoon than in the January night', () => {
    const station = ofType('WeatherObserved')[0]!;
    expect(value(station, solar('2026-07-15', 15), 'temperature') as number).toBeGreaterThan(
      (value(station, solar('2026-01-15', 4), 'temperature') as number) + 10,
    );
  });

  it('switches street lights on at midnight and off at noon (except the odd defective lamp)', () => {
    const lights = ofType('StreetLight');
    const states = (time: Date) => lights.map((light) => value(light, time, 'powerState'));
    const midnight = states(solar('2026-12-01', 23));
    const noon = states(solar('2026-06-21', 12));
    expect(noon.every((state) => state === 'off')).toBe(true);
    expect(midnight.filter((state) => state === 'on').length).toBeGreaterThan(lights.length * 0.9);
    const defective = lights.filter(
      (light) => value(light, solar('2026-12-01', 23), 'status') === 'defectiveLamp',
    );
    for (const light of defective) expect(value(light, solar('2026-12-01', 23), 'powerState')).toBe('off');
  });

  it('fills residential on-street parking at night and car parks on weekday afternoons', () => {
    const spots = ofType('ParkingSpot').filter((sensor) => sensor.exposure < 1);
    const occupiedShare = (time: Date) =>
      spots.filter((spot) => value(spot, time, 'status') === 'occupied').length / spots.length;
    expect(occupiedShare(solar(TUESDAY, 2))).toBeGreaterThan(0.7);
    const car = ofType('OffStreetParking')[0]!;
    expect(value(car, solar(TUESDAY, 14), 'occupancy') as number).toBeGreaterThan(
      (value(car, solar(TUESDAY, 3), 'occupancy') as number) + 0.5,
    );
  });

  it('drains device batteries day by day and replaces them when they run low', () => {
    const device = ofType('Device')[0]!;
    const start = Date.parse('2026-01-01T12:00:00Z');
    let rises = 0;
    let previous = value(device, new Date(start), 'batteryLevel') as number;
    for (let day = 1; day <= 400; day++) {
      const level = value(device, new Date(start + day * 86_400_000), 'batteryLevel') as number;
      if (level > previous) {
        rises++;
        expect(level).toBeGreaterThan(0.9);
      }
      previous = level;
    }
    // A battery lasts 180 to 365 days: 400 days see one or two replacements, and otherwise only decline.
    expect(rises).toBeGreaterThanOrEqual(1);
    expect(rises).toBeLessThanOrEqual(3);
  });
});

describe('createSensorEntity', () => {
  it('returns a valid normalized entity with the relationships of the sensor', () => {
    const time = new Date('2026-06-01T10:00:00Z');
    for (const sensor of sensors) {
      const entity = createSensorEntity(sensor, time);
      expect(normalizedEntityProblems(entity), sensor.id).toEqual([]);
      if (sensor.refDevice)
        expect(entity['refDevice']).toEqual({ type: 'Relationship', object: sensor.refDevice });
      if (sensor.refBuilding)
        expect(entity['refBuilding']).toEqual({ type: 'Relationship', object: sensor.refBuilding });
    }
    const air = createSensorEntity(ofType('AirQualityObserved')[0]!, time);
    expect(Object.keys(air)).toEqual(
      expect.arrayContaining(['no2', 'pm10', 'pm25', 'dateObserved', 'refPointOfInterest']),
    );
  });
});
