import { describe, expect, it } from 'vitest';
import { FeatureIndex, IdSet } from '../../../../server/tiler/stages/feature-store';
import type { FeatureIndexEntry } from '../../../../server/tiler/stages/feature-store';

function entry(
  id: string,
  type: string,
  index: number,
  extra: Partial<FeatureIndexEntry> = {},
): FeatureIndexEntry {
  return {
    id,
    type,
    bounds: {
      west: 8 + index,
      south: 49 + index,
      east: 8.5 + index,
      north: 49.5 + index,
      minimumHeight: 100 + index,
      maximumHeight: 110 + index,
    },
    vertexCount: 10 + index,
    triangleCount: 20 + index,
    store: index % 3,
    offset: 1_000 * index,
    length: 8 * (index + 1),
    ...extra,
  };
}

/** An index of Buildings with `ids`. */
function indexOf(ids: string[]): FeatureIndex {
  const index = new FeatureIndex();
  ids.forEach((id, number) => index.push(entry(id, 'Building', number)));
  return index;
}

/** An index of Buildings with `ids`, and its copy through toData and fromData. */
function indexAndCopyOf(ids: string[]): { index: FeatureIndex; copy: FeatureIndex } {
  const index = indexOf(ids);
  return { index, copy: FeatureIndex.fromData(index.toData()) };
}

describe('FeatureIndex', () => {
  it('returns every field of a copied object when pushFrom copies it into an index with other types', () => {
    const source = new FeatureIndex();
    source.push(entry('B1', 'Building', 0));
    source.push(entry('BP1', 'BuildingPart', 1, { parentId: 'B1', line: 7 }));
    const target = new FeatureIndex();
    // BuildingPart is type 0 here but type 1 in the source: the copy must carry the name, not the number.
    target.push(entry('X', 'BuildingPart', 2));
    target.pushFrom(source, 1, 42);
    target.pushFrom(source, 0, undefined);
    expect(target.length).toBe(3);
    expect(target.at(1)).toEqual(entry('BP1', 'BuildingPart', 1, { parentId: 'B1', line: 42 }));
    expect(target.at(2)).toEqual(entry('B1', 'Building', 0));
    expect(target.typeAt(2)).toBe('Building');
    expect(target.lineAt(2)).toBeUndefined();
  });

  it('returns the fields of an object one by one as at() does', () => {
    const index = new FeatureIndex();
    index.push(entry('A', 'Bridge', 3, { parentId: 'P', line: 0 }));
    expect(index.idAt(0)).toBe('A');
    expect(index.typeAt(0)).toBe('Bridge');
    expect(index.parentIdAt(0)).toBe('P');
    // Line 0 is a line, not "unknown".
    expect(index.lineAt(0)).toBe(0);
    expect(index.vertexCountAt(0)).toBe(13);
    expect(index.boundsAt(0)).toEqual({
      west: 11,
      south: 52,
      east: 11.5,
      north: 52.5,
      minimumHeight: 103,
      maximumHeight: 113,
    });
    expect(
      [
        FeatureIndex.WEST,
        FeatureIndex.SOUTH,
        FeatureIndex.EAST,
        FeatureIndex.NORTH,
        FeatureIndex.MINIMUM_HEIGHT,
        FeatureIndex.MAXIMUM_HEIGHT,
      ].map((side) => index.boundAt(0, side)),
    ).toEqual([11, 52, 11.5, 52.5, 103, 113]);
  });

  it('keeps every object when more are pushed than were reserved', () => {
    const index = new FeatureIndex();
    index.reserve(3);
    expect(index.length).toBe(0);
    for (let number = 0; number < 5; number++) index.push(entry(`F${number}`, 'Building', number));
    expect(index.length).toBe(5);
    expect(index.at(4)).toEqual(entry('F4', 'Building', 4));
    expect(index.at(0)).toEqual(entry('F0', 'Building', 0));
    // A smaller reservation than what is held changes nothing.
    index.reserve(1);
    expect([0, 1, 2, 3, 4].map((number) => index.idAt(number))).toEqual(['F0', 'F1', 'F2', 'F3', 'F4']);
  });

  it('returns the parent id of only the objects that have one when parents are far apart, also after pushFrom, toData and fromData', () => {
    const index = new FeatureIndex();
    // Parents at 1 and 3 000 only: 2 998 objects without one in between.
    for (let number = 0; number < 3_002; number++)
      index.push(
        entry(
          `F${number}`,
          'BuildingPart',
          number,
          number === 1 || number === 3_000 ? { parentId: `P${number}` } : {},
        ),
      );
    const copy = FeatureIndex.fromData(index.toData());
    const merged = new FeatureIndex();
    for (const number of [0, 1, 2, 2_999, 3_000, 3_001]) merged.pushFrom(copy, number, undefined);
    // Written out by hand: objects 1 and 3 000 of the copy are objects 1 and 4 of the merged index.
    const expected = [undefined, 'P1', undefined, undefined, 'P3000', undefined];
    expect([0, 1, 2, 2_999, 3_000, 3_001].map((number) => copy.parentIdAt(number))).toEqual(expected);
    expect([0, 1, 2, 3, 4, 5].map((number) => merged.parentIdAt(number))).toEqual(expected);
    expect('parentId' in merged.at(0)!).toBe(false);
    expect(merged.at(4)!.parentId).toBe('P3000');
    expect('parentId' in merged.at(5)!).toBe(false);
  });

  it('returns the type of each object after toData and fromData when the index grew past its first capacity', () => {
    const types = ['Building', 'BuildingPart', 'Bridge'];
    const index = new FeatureIndex();
    // 1 500 objects: more than the first allocation of 1 024, so the types are copied once while growing.
    for (let number = 0; number < 1_500; number++) index.push(entry(`F${number}`, types[number % 3], number));
    const data = index.toData();
    expect(data.types).toEqual(types);
    expect(data.typeOf.length).toBe(1_500);
    const copy = FeatureIndex.fromData(data);
    expect([0, 1, 2, 1_023, 1_024, 1_499].map((number) => copy.typeAt(number))).toEqual([
      'Building',
      'BuildingPart',
      'Bridge',
      'Building',
      'BuildingPart',
      'Bridge',
    ]);
  });

  it('returns every id as pushed when ids need 1 to 4 UTF-8 bytes per character, also after pushFrom, toData and fromData', () => {
    // ASCII, Latin-1 (2 bytes), CJK (3 bytes), an emoji (a surrogate pair: 4 bytes), and an empty id.
    const ids = ['B1', 'Gebäude-ü', '建物', 'x😀y', ''];
    const { index, copy } = indexAndCopyOf(ids);
    const merged = new FeatureIndex();
    for (const number of [4, 3, 2, 1, 0]) merged.pushFrom(copy, number, undefined);
    expect(ids.map((_, number) => index.idAt(number))).toEqual(ids);
    expect(ids.map((_, number) => copy.at(number)!.id)).toEqual(ids);
    expect([0, 1, 2, 3, 4].map((number) => merged.idAt(number))).toEqual([
      '',
      'x😀y',
      '建物',
      'Gebäude-ü',
      'B1',
    ]);
    // 2 + 11 (7 ASCII, ä and ü 2 each) + 6 + 6 + 0 bytes.
    expect(index.toData().idBytes.length).toBe(25);
  });

  it('returns ids with lone surrogates unchanged (they have no exact UTF-8 form), also after pushFrom, toData and fromData', () => {
    const ids = ['a\ud800', 'a\udc00', 'a\ufffd', '\udbff\udfff', 'b\udfff\ud800'];
    const { index, copy } = indexAndCopyOf(ids);
    const merged = new FeatureIndex();
    merged.push(entry('first', 'Building', 9));
    for (let number = 0; number < ids.length; number++) merged.pushFrom(copy, number, undefined);
    expect(ids.map((_, number) => copy.idAt(number))).toEqual(ids);
    expect(ids.map((_, number) => merged.idAt(number + 1))).toEqual(ids);
    // Only the ids with a lone surrogate are kept as strings ('\udbff\udfff' is a proper pair).
    expect([...index.toData().oddIds.keys()]).toEqual([0, 1, 4]);
  });

  it('keeps every id when the ids outgrow their first buffer of 16 KB', () => {
    const index = new FeatureIndex();
    // 3 000 ids of 10 characters: 30 000 bytes; id 1 638 is the one across the end of the first 16 384.
    for (let number = 0; number < 3_000; number++)
      index.push(entry(`id-${String(number).padStart(7, '0')}`, 'Building', number));
    const copy = FeatureIndex.fromData(index.toData());
    expect(copy.toData().idBytes.length).toBe(30_000);
    expect([0, 1_637, 1_638, 2_999].map((number) => copy.idAt(number))).toEqual([
      'id-0000000',
      'id-0001637',
      'id-0001638',
      'id-0002999',
    ]);
  });
  it('returns ids, types, parents and spill places but throws from at() once releasePlanningFields let go of the rest', () => {
    const index = new FeatureIndex();
    index.push(entry('A', 'Building', 0));
    index.push(entry('B', 'BuildingPart', 1, { parentId: 'A', line: 5 }));
    index.releasePlanningFields();
    expect([index.idAt(1), index.typeAt(1), index.parentIdAt(1)]).toEqual(['B', 'BuildingPart', 'A']);
    // store 1 % 3, offset 1 000 × 1, length 8 × 2; no bounds or counts.
    expect(index.spillEntryAt(1)).toEqual({
      id: 'B',
      type: 'BuildingPart',
      parentId: 'A',
      store: 1,
      offset: 1_000,
      length: 16,
    });
    expect('parentId' in index.spillEntryAt(0)).toBe(false);
    expect(() => index.at(0)).toThrow(/let go/);
  });

  it('keeps every object when it grows past 32,768 objects (where each growth is followed by a collection)', () => {
    const index = new FeatureIndex();
    for (let number = 0; number < 40_000; number++) index.push(entry(`F${number}`, 'Building', number % 7));
    expect(index.length).toBe(40_000);
    expect([0, 32_767, 32_768, 39_999].map((number) => index.idAt(number))).toEqual([
      'F0',
      'F32767',
      'F32768',
      'F39999',
    ]);
    // 39 999 % 7 = 1: the fields of entry 1.
    expect(index.at(39_999)).toEqual(entry('F39999', 'Building', 1));
  });

  it('returns views that keep the room for growth when toData is asked not to copy, and trimmed copies by default', () => {
    const index = new FeatureIndex();
    // 1 500 objects: the capacity grew from 1 024 to 2 048.
    for (let number = 0; number < 1_500; number++) index.push(entry(`F${number}`, 'Building', number));
    const views = index.toData(false);
    const copies = index.toData();
    expect([views.offsets.length, views.offsets.buffer.byteLength]).toEqual([1_500, 2_048 * 8]);
    expect([copies.offsets.length, copies.offsets.buffer.byteLength]).toEqual([1_500, 1_500 * 8]);
    const fromViews = FeatureIndex.fromData(views);
    expect([0, 1_024, 1_499].map((number) => fromViews.at(number))).toEqual([
      entry('F0', 'Building', 0),
      entry('F1024', 'Building', 1_024),
      entry('F1499', 'Building', 1_499),
    ]);
  });
});

describe('IdSet', () => {
  it('returns true only for ids added before when asked with objects of another index', () => {
    const home = indexOf(['A', 'B', 'Straße']);
    const asked = ['B', 'C', 'Straße', 'A ', ''];
    const other = indexOf(asked);
    const set = new IdSet(home);
    set.add(0);
    set.add(2);
    expect(asked.filter((_, number) => set.has(other, number))).toEqual(['Straße']);
    set.add(1);
    expect(set.has(other, 0)).toBe(true);
  });

  it('tells ids with lone surrogates apart from each other and from the replacement character they share bytes with', () => {
    const asked = ['x\ud800', 'x\udc00', 'x\ufffd', 'y\ud800', 'y\ufffd'];
    const other = indexOf(asked);
    const set = new IdSet(indexOf(['x\ud800', 'y\ufffd']));
    set.add(0);
    set.add(1);
    expect(asked.filter((_, number) => set.has(other, number))).toEqual(['x\ud800', 'y\ufffd']);
  });

  it('finds every id added when the set grows well past its first 1 024 slots', () => {
    const ids = Array.from({ length: 5_000 }, (_, number) => `b${number}`);
    const home = indexOf(ids);
    const set = new IdSet(home);
    for (let number = 0; number < 5_000; number += 2) set.add(number);
    const probe = indexOf(['b0', 'b1', 'b2498', 'b2499', 'b4998', 'b4999', 'b5000']);
    expect([0, 1, 2, 3, 4, 5, 6].map((number) => set.has(probe, number))).toEqual([
      true,
      false,
      true,
      false,
      true,
      false,
      false,
    ]);
  });
});
