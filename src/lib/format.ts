// Small formatting helpers for showing attribute names and values to people.

/** 'yearOfConstruction' / 'year_of_construction' → 'Year of construction'. */
export function humanizeName(name: string): string {
  const spaced = name
    .replace(/[_-]+/g, ' ')
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .trim()
    .toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A value as text: numbers with at most 2 decimals, lists joined, objects as JSON. Never HTML. */
export function formatValue(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, '');
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.map(formatValue).join(', ');
  if (value === null || value === undefined) return '—';
  return JSON.stringify(value);
}

/** UN/CEFACT Common Codes that NGSI-LD `unitCode` uses, as people write them. */
const UNIT_CODES: Record<string, string> = {
  GQ: 'µg/m³',
  GP: 'mg/m³',
  '2N': 'dB',
  CEL: '°C',
  FAH: '°F',
  KMH: 'km/h',
  MTS: 'm/s',
  P1: '%',
  C62: '',
  MMT: 'mm',
  MTR: 'm',
  A97: 'hPa',
  HPA: 'hPa',
  DD: '°',
  KWT: 'kW',
  WTT: 'W',
  KWH: 'kWh',
  LUX: 'lx',
  E32: 'vehicles/h',
  H44: '/h',
  '59': 'ppm',
  '61': 'ppb',
};

/** The symbol for a UN/CEFACT unit code, or the code itself when unknown. */
export function formatUnit(unitCode: string | undefined): string {
  if (!unitCode) return '';
  return UNIT_CODES[unitCode] ?? unitCode;
}
