// Deterministic building blocks of believable sensor values: hashing, smooth value noise, local solar time, the sun's
// elevation, and the daily profiles of traffic and of business activity.

/** A 32-bit integer hash of two integers (a variant of murmur3's finaliser), as a number in [0, 1). */
export function hashUnit(seed: number, value: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(Math.floor(value) | 0, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4_294_967_296;
}

/** A stable 32-bit seed from a string (FNV-1a). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    h ^= text.charCodeAt(index);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Smooth value noise in [-1, 1]: random values on the integers of `x`, joined by a smoothstep curve, so that
 * successive observations drift rather than jump.
 */
export function smoothNoise(seed: number, x: number): number {
  const whole = Math.floor(x);
  const fraction = x - whole;
  const start = hashUnit(seed, whole) * 2 - 1;
  const end = hashUnit(seed, whole + 1) * 2 - 1;
  const weight = fraction * fraction * (3 - 2 * fraction);
  return start + (end - start) * weight;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Local solar time at a longitude: hour of day in [0, 24), day of week (0 Sunday), day of year (1..366). */
export function solarTime(
  time: Date,
  longitude: number,
): { hour: number; weekday: number; dayOfYear: number } {
  const shifted = time.getTime() + (longitude / 15) * HOUR_MS;
  const day = Math.floor(shifted / DAY_MS);
  const hour = (shifted - day * DAY_MS) / HOUR_MS;
  const date = new Date(day * DAY_MS);
  const dayOfYear = Math.floor((day * DAY_MS - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
  return { hour, weekday: date.getUTCDay(), dayOfYear };
}

/** The sun's elevation in degrees (declination by Cooper's formula, hour angle from solar time). */
export function sunElevationDegrees(time: Date, longitude: number, latitude: number): number {
  const { hour, dayOfYear } = solarTime(time, longitude);
  const radians = Math.PI / 180;
  const declination = -23.44 * Math.cos(((2 * Math.PI) / 365) * (dayOfYear + 10)) * radians;
  const hourAngle = 15 * (hour - 12) * radians;
  const phi = latitude * radians;
  const sine =
    Math.sin(phi) * Math.sin(declination) + Math.cos(phi) * Math.cos(declination) * Math.cos(hourAngle);
  return Math.asin(Math.max(-1, Math.min(1, sine))) / radians;
}

function bell(hour: number, centre: number, width: number): number {
  return Math.exp(-((hour - centre) ** 2) / (2 * width * width));
}

/**
 * Road traffic relative to the day's peak, in [0, 1]: a night low, the morning (8 h) and evening (17 h) rush hours
 * on working days with a busy midday between them; a late, single, lower hump on weekends.
 */
export function trafficProfile(hour: number, weekday: number): number {
  const weekend = weekday === 0 || weekday === 6;
  if (weekend) return Math.min(1, 0.08 + 0.55 * bell(hour, 14, 3.5));
  return Math.min(
    1,
    0.06 + 0.94 * bell(hour, 8, 1.3) + 0.85 * bell(hour, 17, 1.6) + 0.5 * bell(hour, 12.5, 2.5),
  );
}

/** How busy offices and shops are, in [0, 1]: opening hours on working days, a short Saturday, closed Sundays. */
export function businessProfile(hour: number, weekday: number): number {
  if (weekday === 0) return 0.05;
  const closing = weekday === 6 ? 15 : 19;
  if (hour < 7 || hour > closing + 1) return 0.05;
  const rise = Math.min(1, Math.max(0, (hour - 7) / 2.5));
  const fall = Math.min(1, Math.max(0, (closing + 1 - hour) / 2));
  return 0.05 + 0.95 * Math.min(rise, fall) * (weekday === 6 ? 0.75 : 1);
}

/** Clamps a value into [minimum, maximum]. */
export function clamp(value: number, minimum: number, maximum: number): number {
  return Math.min(maximum, Math.max(minimum, value));
}

/** Rounds to a number of decimals. */
export function round(value: number, decimals: number): number {
  const factor = 10 ** decimals;
  return Math.round(value * factor) / factor;
}
