// A generated CityGML 2.0 city of box buildings for tiler tests: big enough to stream or split, with hooks for bad input.

export interface GridOptions {
  count: number;
  /** Building index → replacement of its geometry (raw CityGML inside <bldg:Building>), of its id, or of the whole member. */
  special?: (index: number) => { geometry?: string; member?: string; id?: string } | undefined;
}

/** A CityGML polygon with an optional gml:id; the ring is closed here. */
export const polygon = (id: string | undefined, points: number[][]) =>
  `<gml:Polygon${id ? ` gml:id="${id}"` : ''}><gml:exterior><gml:LinearRing><gml:posList>` +
  `${[...points, points[0]].map((point) => point.join(' ')).join(' ')}</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>`;

/** Box buildings on a 20 m grid in EPSG:25832, one element per line, so that line numbers can be checked. */
export function gridCity(options: GridOptions): string {
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<core:CityModel xmlns:core="http://www.opengis.net/citygml/2.0" xmlns:bldg="http://www.opengis.net/citygml/building/2.0"',
    '  xmlns:gml="http://www.opengis.net/gml" xmlns:xlink="http://www.w3.org/1999/xlink">',
    '<gml:name>parallel test</gml:name>',
    '<gml:boundedBy>',
    '<gml:Envelope srsName="EPSG:25832"><gml:lowerCorner>458000 5438000 100</gml:lowerCorner>',
    '<gml:upperCorner>460000 5440000 120</gml:upperCorner></gml:Envelope>',
    '</gml:boundedBy>',
  ];
  for (let index = 0; index < options.count; index++) {
    const special = options.special?.(index);
    if (special?.member !== undefined) {
      lines.push(special.member);
      continue;
    }
    const id = special?.id ?? `b${index}`;
    const name = id === '' ? `anonymous${index}` : id;
    const x = 458000 + (index % 80) * 20;
    const y = 5438000 + Math.floor(index / 80) * 20;
    const [low, high] = [100, 110 + (index % 7)];
    const corners = [
      [x, y],
      [x + 10, y],
      [x + 10, y + 10],
      [x, y + 10],
    ];
    // An empty id writes a Building without gml:id.
    lines.push('<core:cityObjectMember>', id === '' ? '<bldg:Building>' : `<bldg:Building gml:id="${id}">`);
    lines.push(`<bldg:measuredHeight uom="m">${high - low}</bldg:measuredHeight>`);
    if (special?.geometry !== undefined) lines.push(special.geometry);
    else {
      lines.push('<bldg:lod2MultiSurface>', '<gml:MultiSurface>');
      lines.push(
        `<gml:surfaceMember>${polygon(
          `${name}-roof`,
          corners.map(([cx, cy]) => [cx, cy, high]),
        )}</gml:surfaceMember>`,
      );
      lines.push(
        `<gml:surfaceMember>${polygon(
          undefined,
          [...corners].reverse().map(([cx, cy]) => [cx, cy, low]),
        )}</gml:surfaceMember>`,
      );
      for (let side = 0; side < 4; side++) {
        const [ax, ay] = corners[side];
        const [bx, by] = corners[(side + 1) % 4];
        lines.push(
          `<gml:surfaceMember>${polygon(undefined, [
            [ax, ay, low],
            [bx, by, low],
            [bx, by, high],
            [ax, ay, high],
          ])}</gml:surfaceMember>`,
        );
      }
      lines.push('</gml:MultiSurface>', '</bldg:lod2MultiSurface>');
    }
    lines.push('</bldg:Building>', '</core:cityObjectMember>');
  }
  lines.push('</core:CityModel>', '');
  return lines.join('\n');
}
