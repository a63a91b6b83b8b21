// What each simulated sensor observes at a given time: a pure function of the sensor and the time, so values are
// reproducible, drift smoothly between updates, and follow the day (rush hours, opening hours, darkness, seasons).
import type { NgsiLdAttributes, NgsiLdProperty, SimulatedSensor } from './model';
import { UNIT_CODES } from './model';
import {
  businessProfile,
  clamp,
  hashUnit,
  round,
  smoothNoise,
  solarTime,
  sunElevationDegrees,
  trafficProfile,
} from './patterns';

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

function measured(value: unknown, observedAt: string, unitCode?: string): NgsiLdProperty {
  return unitCode === undefined
    ? { type: 'Property', value, observedAt }
    : { type: 'Property', value, unitCode, observedAt };
}

function dateTime(time: Date): NgsiLdProperty {
  return { type: 'Property', value: { '@type': 'DateTime', '@value': time.toISOString() } };
}

/** Noise drifting over `periodMs` (one random value per period, smoothly joined), in [-1, 1]. */
function drift(sensor: SimulatedSensor, channel: number, time: Date, periodMs: number): number {
  return smoothNoise((sensor.seed ^ Math.imul(channel, 0x27d4eb2d)) >>> 0, time.getTime() / periodMs);
}

/** Noise shared by every sensor of the district (the weather, the regional background), in [-1, 1]. */
function regional(channel: number, time: Date, periodMs: number): number {
  return smoothNoise(0x5bd1e995 ^ channel, time.getTime() / periodMs);
}

/** European Air Quality Index style level from NO2, PM10 and PM2.5 (µg/m³). */
function airQuality(no2: number, pm10: number, pm25: number): { index: number; level: string } {
  // Sub-indices scaled so that the EU "moderate" thresholds (NO2 90, PM10 40, PM2.5 20) meet at 50.
  const index = Math.round(Math.max((no2 / 90) * 50, (pm10 / 40) * 50, (pm25 / 20) * 50));
  const level =
    index <= 25
      ? 'good'
      : index <= 50
        ? 'moderate'
        : index <= 75
          ? 'poor'
          : index <= 100
            ? 'veryPoor'
            : 'extremelyPoor';
  return { index, level };
}

/**
 * The attributes a sensor reports at `time`, normalized NGSI-LD: each measured Property carries `observedAt` and
 * `unitCode` where it has a unit. Deterministic: the same sensor and time always give the same values.
 *
 * - AirQualityObserved: `no2`, `pm10`, `pm25` (µg/m³) rise with the rush hours and the place's traffic exposure, PM
 *   more in winter (heating); `airQualityIndex`, `airQualityLevel`, `dateObserved`.
 * - NoiseLevelObserved: `LAeq`, `LAmax`, `LAS` (dB) following traffic, quiet nights; `dateObservedFrom/To`.
 * - TrafficFlowObserved: `intensity` (vehicles in 5 minutes), `averageVehicleSpeed` (km/h, dropping in
 *   congestion), `occupancy`, `congested`, `dateObservedFrom/To`.
 * - ParkingSpot: `status` free/occupied, changing at most every 15 minutes, full at night in residential streets.
 * - OffStreetParking: `availableSpotNumber`, `occupiedSpotNumber`, `occupancy`, `status` following opening hours.
 * - WeatherObserved: `temperature` (seasonal and daily cycle), `relativeHumidity`, `atmosphericPressure`,
 *   `windSpeed`, `windDirection`, `precipitation`.
 * - StreetLight: `powerState` on from dusk to dawn (dimmed after midnight), `illuminanceLevel`, `status` with the
 *   odd defective lamp for a week.
 * - Device: `batteryLevel` draining over a 6 to 12 month battery life and replaced, `deviceState`,
 *   `dateLastValueReported`.
 */
export function nextObservation(sensor: SimulatedSensor, time: Date): NgsiLdAttributes {
  const observedAt = time.toISOString();
  const [longitude, latitude] = sensor.position;
  const { hour, weekday, dayOfYear } = solarTime(time, longitude);
  const traffic = trafficProfile(hour, weekday);
  // 1 in January, -1 in July.
  const winter = Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365);
  switch (sensor.type) {
    case 'AirQualityObserved': {
      const no2 = clamp(
        12 +
          6 * winter +
          55 * traffic * sensor.exposure +
          6 * drift(sensor, 1, time, 20 * MINUTE_MS) +
          5 * regional(1, time, 6 * HOUR_MS),
        2,
        400,
      );
      const pm10 = clamp(
        15 +
          7 * winter +
          12 * traffic * sensor.exposure +
          6 * regional(2, time, 8 * HOUR_MS) +
          3 * drift(sensor, 2, time, 30 * MINUTE_MS),
        3,
        300,
      );
      const pm25 = clamp(pm10 * (0.58 + 0.08 * drift(sensor, 3, time, 2 * HOUR_MS)), 1, pm10);
      const { index, level } = airQuality(no2, pm10, pm25);
      return {
        no2: measured(round(no2, 1), observedAt, UNIT_CODES.microgramPerCubicMetre),
        pm10: measured(round(pm10, 1), observedAt, UNIT_CODES.microgramPerCubicMetre),
        pm25: measured(round(pm25, 1), observedAt, UNIT_CODES.microgramPerCubicMetre),
        airQualityIndex: measured(index, observedAt),
        airQualityLevel: measured(level, observedAt),
        dateObserved: dateTime(time),
      };
    }
    case 'NoiseLevelObserved': {
      const laeq = clamp(
        38 + 30 * Math.sqrt(traffic) * sensor.exposure + 2 * drift(sensor, 1, time, 10 * MINUTE_MS),
        30,
        95,
      );
      const lamax = laeq + 9 + 6 * hashUnit(sensor.seed, Math.floor(time.getTime() / MINUTE_MS));
      const las = clamp(laeq + 3 * drift(sensor, 2, time, MINUTE_MS), 25, lamax);
      return {
        LAeq: measured(round(laeq, 1), observedAt, UNIT_CODES.decibel),
        LAmax: measured(round(lamax, 1), observedAt, UNIT_CODES.decibel),
        LAS: measured(round(las, 1), observedAt, UNIT_CODES.decibel),
        dateObservedFrom: dateTime(new Date(time.getTime() - 5 * MINUTE_MS)),
        dateObservedTo: dateTime(time),
      };
    }
    case 'TrafficFlowObserved': {
      const demand = clamp(traffic * (1 + 0.12 * drift(sensor, 1, time, 15 * MINUTE_MS)), 0, 1.1);
      const intensity = Math.round(
        ((sensor.capacity * demand) / 12) * (0.9 + 0.2 * hashUnit(sensor.seed, time.getTime() / MINUTE_MS)),
      );
      const occupancy = clamp(0.02 + 0.55 * demand ** 2, 0, 0.95);
      const congested = occupancy > 0.45;
      const speedLimit = sensor.speedLimit ?? 50;
      const speed = clamp(
        speedLimit * (1.02 - 0.7 * Math.max(0, occupancy - 0.2)) + 3 * drift(sensor, 2, time, 5 * MINUTE_MS),
        5,
        speedLimit * 1.2,
      );
      return {
        intensity: measured(intensity, observedAt),
        averageVehicleSpeed: measured(round(speed, 1), observedAt, UNIT_CODES.kilometrePerHour),
        occupancy: measured(round(occupancy, 3), observedAt, UNIT_CODES.one),
        congested: measured(congested, observedAt),
        dateObservedFrom: dateTime(new Date(time.getTime() - 5 * MINUTE_MS)),
        dateObservedTo: dateTime(time),
      };
    }
    case 'ParkingSpot': {
      // Main streets fill with shoppers by day; residential streets are full at night.
      const business = businessProfile(hour, weekday);
      const probability = sensor.exposure >= 1 ? 0.25 + 0.65 * business : 0.9 - 0.35 * business;
      const slot = Math.floor(time.getTime() / (15 * MINUTE_MS));
      const occupied = hashUnit(sensor.seed, slot) < probability;
      return { status: measured(occupied ? 'occupied' : 'free', observedAt) };
    }
    case 'OffStreetParking': {
      const business = businessProfile(hour, weekday);
      const occupancy = clamp(0.08 + 0.85 * business + 0.06 * drift(sensor, 1, time, 30 * MINUTE_MS), 0, 1);
      const occupied = Math.round(sensor.capacity * occupancy);
      const available = sensor.capacity - occupied;
      const status =
        available === 0 ? 'full' : available < sensor.capacity * 0.05 ? 'almostFull' : 'spacesAvailable';
      return {
        availableSpotNumber: measured(available, observedAt),
        occupiedSpotNumber: measured(occupied, observedAt),
        occupancy: measured(round(occupied / sensor.capacity, 3), observedAt, UNIT_CODES.one),
        status: measured(status, observedAt),
      };
    }
    case 'WeatherObserved': {
      const daily = Math.cos((2 * Math.PI * (hour - 15)) / 24);
      const temperature =
        10.5 -
        9 * winter +
        4.5 * daily +
        3 * regional(3, time, 2 * DAY_MS) +
        0.3 * drift(sensor, 1, time, HOUR_MS);
      const rain = regional(4, time, 5 * HOUR_MS);
      const precipitation = rain > 0.45 ? round((rain - 0.45) * 8, 1) : 0;
      const humidity = clamp(
        0.72 - 0.18 * daily + 0.1 * regional(5, time, DAY_MS) + (precipitation > 0 ? 0.15 : 0),
        0.2,
        1,
      );
      return {
        temperature: measured(round(temperature, 1), observedAt, UNIT_CODES.degreeCelsius),
        relativeHumidity: measured(round(humidity, 2), observedAt, UNIT_CODES.one),
        atmosphericPressure: measured(
          round(1013 + 12 * regional(6, time, 3 * DAY_MS), 1),
          observedAt,
          UNIT_CODES.hectopascal,
        ),
        windSpeed: measured(
          round(
            clamp(
              3.2 + 2.5 * regional(7, time, 6 * HOUR_MS) + 0.8 * drift(sensor, 2, time, 10 * MINUTE_MS),
              0,
              40,
            ),
            1,
          ),
          observedAt,
          UNIT_CODES.metrePerSecond,
        ),
        windDirection: measured(
          Math.round((360 + 240 + 70 * regional(8, time, 12 * HOUR_MS)) % 360),
          observedAt,
          UNIT_CODES.degreeAngle,
        ),
        precipitation: measured(precipitation, observedAt, UNIT_CODES.millimetre),
        dateObserved: dateTime(time),
      };
    }
    case 'StreetLight': {
      const elevation = sunElevationDegrees(time, longitude, latitude);
      const week = Math.floor(time.getTime() / (7 * DAY_MS));
      const defective = hashUnit(sensor.seed, week) < 0.02;
      const dark = elevation < -3;
      const dimmed = dark && hour >= 0 && hour < 5;
      const on = dark && !defective;
      return {
        powerState: measured(on ? (dimmed ? 'low' : 'on') : 'off', observedAt),
        illuminanceLevel: measured(on ? (dimmed ? 0.5 : 1) : 0, observedAt, UNIT_CODES.one),
        status: measured(defective ? 'defectiveLamp' : 'ok', observedAt),
      };
    }
    case 'Device': {
      const lifetimeDays = 180 + 185 * hashUnit(sensor.seed, 1);
      const age = (time.getTime() / DAY_MS + lifetimeDays * hashUnit(sensor.seed, 2)) % lifetimeDays;
      const level = clamp(1 - (0.95 * age) / lifetimeDays, 0.05, 1);
      return {
        batteryLevel: measured(round(level, 3), observedAt, UNIT_CODES.one),
        deviceState: measured(level < 0.15 ? 'lowBattery' : 'ok', observedAt),
        dateLastValueReported: dateTime(time),
      };
    }
  }
}

/** The full normalized entity of a sensor at `time`: its fixed description and its observation. */
export function createSensorEntity(
  sensor: SimulatedSensor,
  time: Date,
): Record<string, unknown> & { id: string; type: string } {
  const entity: Record<string, unknown> & { id: string; type: string } = {
    id: sensor.id,
    type: sensor.type,
    name: { type: 'Property', value: sensor.name },
    location: { type: 'GeoProperty', value: sensor.location },
  };
  if (sensor.refDevice) entity['refDevice'] = { type: 'Relationship', object: sensor.refDevice };
  if (sensor.refBuilding) entity['refBuilding'] = { type: 'Relationship', object: sensor.refBuilding };
  if (sensor.refPointOfInterest)
    entity['refPointOfInterest'] = { type: 'Relationship', object: sensor.refPointOfInterest };
  if (sensor.refParkingSite)
    entity['refParkingSite'] = { type: 'Relationship', object: sensor.refParkingSite };
  if (sensor.address) {
    entity['address'] = {
      type: 'Property',
      value: {
        streetAddress: `${sensor.address.street} ${sensor.address.houseNumber}`,
        postalCode: sensor.address.postalCode,
        addressLocality: sensor.address.city,
        addressCountry: 'DE',
      },
    };
  }
  switch (sensor.type) {
    case 'Device':
      entity['category'] = { type: 'Property', value: ['sensor'] };
      entity['controlledProperty'] = { type: 'Property', value: sensor.controlledProperty ?? [] };
      break;
    case 'AirQualityObserved':
    case 'NoiseLevelObserved':
    case 'WeatherObserved':
      entity['typeOfLocation'] = { type: 'Property', value: 'outdoor' };
      break;
    case 'TrafficFlowObserved':
      entity['laneDirection'] = { type: 'Property', value: 'forward' };
      break;
    case 'ParkingSpot':
      entity['category'] = { type: 'Property', value: ['onStreet'] };
      break;
    case 'OffStreetParking':
      entity['totalSpotNumber'] = { type: 'Property', value: sensor.capacity };
      entity['category'] = { type: 'Property', value: ['public', 'feeCharged'] };
      entity['allowedVehicleType'] = { type: 'Property', value: ['car'] };
      break;
    case 'StreetLight':
      break;
  }
  return Object.assign(entity, nextObservation(sensor, time));
}
