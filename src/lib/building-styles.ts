// Thematic styles for city models: colour buildings by height, year of construction or function, with a legend.
// Pure data: the tileset layer turns it into a Cesium 3D Tiles style expression.

export type BuildingStyleMode = 'plain' | 'height' | 'year' | 'function';

export interface LegendEntry {
  label: string;
  /** CSS colour. */
  color: string;
}

/** A style as 3D Tiles style conditions (first match wins) plus its legend. */
export interface BuildingStyle {
  mode: BuildingStyleMode;
  title: string;
  /** [condition, CSS colour] pairs in 3D Tiles styling language; the last condition is always 'true'. */
  conditions: Array<[string, string]>;
  legend: LegendEntry[];
}

export const BUILDING_STYLE_MODES: Array<{ mode: BuildingStyleMode; label: string }> = [
  { mode: 'plain', label: 'Plain' },
  { mode: 'height', label: 'Height' },
  { mode: 'year', label: 'Year of construction' },
  { mode: 'function', label: 'Function' },
];

const UNKNOWN_COLOR = '#bdbdbd';
const PLAIN_COLOR = '#f4f1ea';

/** Colour classes from low to high: a sequential ramp that stays readable for colour-blind people (viridis). */
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

function classes(
  property: string,
  breaks: number[],
  unit: string,
): Pick<BuildingStyle, 'conditions' | 'legend'> {
  const conditions: Array<[string, string]> = [
    [`\${${property}} === undefined || \${${property}} === null`, UNKNOWN_COLOR],
  ];
  for (let index = breaks.length - 1; index >= 1; index--) {
    conditions.push([`\${${property}} >= ${breaks[index]}`, RAMP[index]]);
  }
  conditions.push(['true', RAMP[0]]);
  const legend: LegendEntry[] = breaks.map((lower, index) => {
    const upper = breaks[index + 1];
    const label =
      index === 0
        ? `under ${upper} ${unit}`
        : upper === undefined
          ? `${lower} ${unit} and more`
          : `${lower}–${upper} ${unit}`;
    return { label, color: RAMP[index] };
  });
  legend.push({ label: 'unknown', color: UNKNOWN_COLOR });
  return { conditions, legend };
}

/**
 * CityGML 2.0 BuildingFunction codes (the SIG3D code list) grouped by their ranges for a readable legend:
 * 1000s residential, 1100-1300 commerce and hospitality, 1310-1999 industry, traffic and utilities, 2000-2499
 * public buildings (administration, education, culture, religion, health, safety), 2500s sport and leisure.
 */
export const FUNCTION_GROUPS: Array<{ label: string; color: string; from: number; to: number }> = [
  { label: 'Residential', color: '#e6a157', from: 1000, to: 1100 },
  { label: 'Commerce, offices, hospitality', color: '#5b8fd1', from: 1100, to: 1310 },
  { label: 'Industry, traffic, utilities', color: '#8c7b6b', from: 1310, to: 2000 },
  { label: 'Public (schools, culture, health)', color: '#4aa37a', from: 2000, to: 2500 },
  { label: 'Sport and leisure', color: '#9b6bd1', from: 2500, to: 2700 },
];

/**
 * The style for a mode.
 * @param mode - what to colour by
 */
export function createBuildingStyle(mode: BuildingStyleMode): BuildingStyle {
  switch (mode) {
    case 'plain':
      return { mode, title: 'Buildings', conditions: [['true', PLAIN_COLOR]], legend: [] };
    case 'height':
      return { mode, title: 'Measured height', ...classes('measuredHeight', [0, 10, 20, 30, 45], 'm') };
    case 'year':
      return { mode, title: 'Year of construction', ...yearClasses() };
    case 'function': {
      const conditions: Array<[string, string]> = FUNCTION_GROUPS.map((group) => [
        `\${function} >= ${group.from} && \${function} < ${group.to}`,
        group.color,
      ]);
      conditions.push(['true', UNKNOWN_COLOR]);
      return {
        mode,
        title: 'Function',
        conditions,
        legend: [
          ...FUNCTION_GROUPS.map(({ label, color }) => ({ label, color })),
          { label: 'other or unknown', color: UNKNOWN_COLOR },
        ],
      };
    }
  }
}

function yearClasses(): Pick<BuildingStyle, 'conditions' | 'legend'> {
  const breaks = [0, 1919, 1949, 1979, 2000];
  const labels = ['before 1919', '1919–1948', '1949–1978', '1979–1999', '2000 and later'];
  const conditions: Array<[string, string]> = [
    ['${yearOfConstruction} === undefined || ${yearOfConstruction} === null', UNKNOWN_COLOR],
  ];
  for (let index = breaks.length - 1; index >= 1; index--)
    conditions.push([`\${yearOfConstruction} >= ${breaks[index]}`, RAMP[index]]);
  conditions.push(['true', RAMP[0]]);
  return {
    conditions,
    legend: [
      ...labels.map((label, index) => ({ label, color: RAMP[index] })),
      { label: 'unknown', color: UNKNOWN_COLOR },
    ],
  };
}
