import { describe, expect, it } from 'vitest';
import { createBuildingStyle, FUNCTION_GROUPS } from '../../../src/lib/building-styles';

/** Evaluates the style's conditions the way Cesium does (first true condition wins) for one feature. */
function colourOf(
  mode: Parameters<typeof createBuildingStyle>[0],
  properties: Record<string, number | undefined>,
): string {
  const style = createBuildingStyle(mode);
  for (const [condition, colour] of style.conditions) {
    const expression = condition.replace(/\$\{(\w+)\}/g, (_, name: string) => `p[${JSON.stringify(name)}]`);
    if (new Function('p', `return (${expression});`)(properties)) return colour;
  }
  throw new Error('no condition matched');
}

describe('createBuildingStyle', () => {
  it('colours by height classes with the unknown colour for buildings without a height', () => {
    const style = createBuildingStyle('height');
    expect(style.legend.map((entry) => entry.label)).toEqual([
      'under 10 m',
      '10–20 m',
      '20–30 m',
      '30–45 m',
      '45 m and more',
      'unknown',
    ]);
    expect(colourOf('height', { measuredHeight: 5 })).toBe(style.legend[0].color);
    expect(colourOf('height', { measuredHeight: 10 })).toBe(style.legend[1].color);
    expect(colourOf('height', { measuredHeight: 29.9 })).toBe(style.legend[2].color);
    expect(colourOf('height', { measuredHeight: 80 })).toBe(style.legend[4].color);
    expect(colourOf('height', { measuredHeight: undefined })).toBe(style.legend[5].color);
  });

  it('puts years of construction into the classes its legend names', () => {
    const style = createBuildingStyle('year');
    const legend = Object.fromEntries(style.legend.map((entry) => [entry.label, entry.color]));
    expect(colourOf('year', { yearOfConstruction: 1890 })).toBe(legend['before 1919']);
    expect(colourOf('year', { yearOfConstruction: 1919 })).toBe(legend['1919–1948']);
    expect(colourOf('year', { yearOfConstruction: 1978 })).toBe(legend['1949–1978']);
    expect(colourOf('year', { yearOfConstruction: 2024 })).toBe(legend['2000 and later']);
  });

  it('groups CityGML 2.0 function codes: 1000 residential, 1120 office, 2080 school, 9999 other', () => {
    const colourOfGroup = (label: string) =>
      FUNCTION_GROUPS.find((group) => group.label.startsWith(label))!.color;
    expect(colourOf('function', { function: 1000 })).toBe(colourOfGroup('Residential'));
    expect(colourOf('function', { function: 1120 })).toBe(colourOfGroup('Commerce'));
    expect(colourOf('function', { function: 2080 })).toBe(colourOfGroup('Public'));
    expect(colourOf('function', { function: 9999 })).toBe(
      createBuildingStyle('function').legend.at(-1)!.color,
    );
  });

  it('gives a plain style with no legend', () => {
    expect(createBuildingStyle('plain').legend).toEqual([]);
  });
});
