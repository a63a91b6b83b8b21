// How each Smart Data Models type is coloured on the map: the attribute that matters, its bands, and the legend.
import type { LiveEntity } from '../data/live-stream';

export interface SensorBand {
  label: string;
  color: string;
  /** Numeric bands: lower bound (inclusive). */
  from?: number;
  /** Categorical bands: the values that fall in it. */
  values?: Array<string | boolean>;
}

export interface SensorStyle {
  type: string;
  /** What people call this type. */
  title: string;
  attribute: string;
  unit?: string;
  bands: SensorBand[];
}

export const UNKNOWN_COLOR = '#9e9e9e';
/** Types with hundreds of members per district; hidden on first load so the map stays readable. */
export const DENSE_TYPES = ['StreetLight', 'ParkingSpot', 'Device'];
/** Values older than this are marked stale. */
export const STALE_AFTER_MS = 15 * 60 * 1000;

/** The styles, one per Smart Data Models type Plaza knows. Bands come from published scales where one exists. */
export const SENSOR_STYLES: SensorStyle[] = [
  {
    // European Environment Agency, European Air Quality Index bands for NO2 (µg/m³, hourly).
    type: 'AirQualityObserved',
    title: 'Air quality (NO₂)',
    attribute: 'no2',
    unit: 'µg/m³',
    bands: [
      { label: 'good', color: '#50f0e6', from: 0 },
      { label: 'fair', color: '#50ccaa', from: 40 },
      { label: 'moderate', color: '#f0e641', from: 90 },
      { label: 'poor', color: '#ff5050', from: 120 },
      { label: 'very poor', color: '#960032', from: 230 },
      { label: 'extremely poor', color: '#7d2181', from: 340 },
    ],
  },
  {
    // WHO environmental noise guideline levels and the EU END 55 dB(A) reporting threshold.
    type: 'NoiseLevelObserved',
    title: 'Noise (LAeq)',
    attribute: 'LAeq',
    unit: 'dB(A)',
    bands: [
      { label: 'quiet', color: '#2e8b57', from: 0 },
      { label: 'noticeable', color: '#f2c14e', from: 55 },
      { label: 'loud', color: '#e67e22', from: 65 },
      { label: 'very loud', color: '#c0392b', from: 75 },
    ],
  },
  {
    type: 'TrafficFlowObserved',
    title: 'Traffic (occupancy)',
    attribute: 'occupancy',
    bands: [
      { label: 'free flow', color: '#2e8b57', from: 0 },
      { label: 'dense', color: '#f2c14e', from: 0.3 },
      { label: 'heavy', color: '#e67e22', from: 0.6 },
      { label: 'congested', color: '#c0392b', from: 0.8 },
    ],
  },
  {
    type: 'ParkingSpot',
    title: 'Parking spots',
    attribute: 'status',
    bands: [
      { label: 'free', color: '#2e8b57', values: ['free'] },
      { label: 'occupied', color: '#c0392b', values: ['occupied'] },
      { label: 'closed', color: '#555555', values: ['closed', 'unknown'] },
    ],
  },
  {
    type: 'OffStreetParking',
    title: 'Car parks (occupancy)',
    attribute: 'occupancy',
    bands: [
      { label: 'spaces free', color: '#2e8b57', from: 0 },
      { label: 'filling up', color: '#e67e22', from: 0.7 },
      { label: 'full', color: '#c0392b', from: 0.9 },
    ],
  },
  {
    type: 'WeatherObserved',
    title: 'Weather (temperature)',
    attribute: 'temperature',
    unit: '°C',
    bands: [
      { label: 'frost', color: '#3b6fd1', from: -100 },
      { label: 'cold', color: '#7fb3e6', from: 0 },
      { label: 'mild', color: '#5ec962', from: 10 },
      { label: 'warm', color: '#f29e4c', from: 20 },
      { label: 'hot', color: '#c0392b', from: 30 },
    ],
  },
  {
    type: 'StreetLight',
    title: 'Street lights',
    attribute: 'powerState',
    bands: [
      { label: 'on', color: '#ffd54f', values: ['on'] },
      { label: 'dimmed', color: '#b59a3a', values: ['low'] },
      { label: 'off', color: '#424242', values: ['off'] },
    ],
  },
  {
    type: 'Device',
    title: 'Device batteries',
    attribute: 'batteryLevel',
    bands: [
      { label: 'low', color: '#c0392b', from: 0 },
      { label: 'half', color: '#f2c14e', from: 0.15 },
      { label: 'good', color: '#2e8b57', from: 0.4 },
    ],
  },
];

const STYLE_BY_TYPE = new Map(SENSOR_STYLES.map((style) => [style.type, style]));

/** The style for an entity type, if Plaza knows it. */
export function findSensorStyle(type: string): SensorStyle | undefined {
  return STYLE_BY_TYPE.get(type);
}

/** The band an entity's value falls into, or undefined when the value is missing or odd. */
export function classifyValue(style: SensorStyle, value: unknown): SensorBand | undefined {
  if (style.bands[0].values) {
    return style.bands.find((band) => band.values!.includes(value as string | boolean));
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  let match: SensorBand | undefined;
  for (const band of style.bands) if (band.from !== undefined && value >= band.from) match = band;
  return match;
}

/** Whether an entity's latest observation is older than {@link STALE_AFTER_MS}. */
export function isStale(entity: Pick<LiveEntity, 'observedAt'>, now: number): boolean {
  if (!entity.observedAt) return false;
  const time = Date.parse(entity.observedAt);
  return Number.isFinite(time) && now - time > STALE_AFTER_MS;
}

/** The colour of an entity on the map and the value that decided it. */
export function colourEntity(entity: LiveEntity): { color: string; band?: SensorBand; value: unknown } {
  const style = findSensorStyle(entity.type);
  if (!style) return { color: UNKNOWN_COLOR, value: undefined };
  const value = entity.values[style.attribute];
  const band = classifyValue(style, value);
  return { color: band?.color ?? UNKNOWN_COLOR, band, value };
}
