import { describe, expect, it } from 'vitest';
import { decodeViewState, encodeViewState, type ViewState } from '../../../src/state/url-state';

describe('url-state', () => {
  it('round-trips a full view state through the query string', () => {
    const state: ViewState = {
      role: 'operator',
      camera: { longitude: 8.6571, latitude: 49.8797, height: 850.5, heading: 30, pitch: -35.5 },
      layers: [
        { id: 'demo-city', visible: true, opacity: 0.8, style: 'height' },
        { id: 'parks', visible: false, opacity: 1, filter: "name LIKE 'Herrngarten%'" },
      ],
      selected: 'bldg-000042',
      isolated: true,
      hiddenTypes: ['ParkingSpot', 'StreetLight'],
      overlay: 'AirQualityObserved.no2',
      services: ['https://maps.example.org/ogc/', 'http://wms.example.org/wms?map=a&x=1'],
    };
    expect(decodeViewState(encodeViewState(state))).toEqual(state);
  });

  it('keeps ids with reserved characters intact', () => {
    const state: ViewState = { role: 'planner', layers: [{ id: 'a~b!c', visible: true, opacity: 1 }] };
    expect(decodeViewState(encodeViewState(state)).layers).toEqual(state.layers);
  });

  it('falls back to the planner role and ignores malformed parts', () => {
    expect(decodeViewState('role=admin&camera=1,2,three,4,5&layers=x~1~abc')).toEqual({
      role: 'planner',
      layers: [{ id: 'x', visible: true, opacity: 1 }],
    });
  });

  it('rejects a camera below the ground or off the globe', () => {
    expect(decodeViewState('camera=8,95,100,0,0').camera).toBeUndefined();
    expect(decodeViewState('camera=8,49,-5,0,0').camera).toBeUndefined();
  });

  it("reads the OGC API pages' ?layer=<id> link as that one layer shown", () => {
    expect(decodeViewState('layer=parks').layers).toEqual([{ id: 'parks', visible: true, opacity: 1 }]);
  });

  it('keeps only http(s) service URLs', () => {
    expect(decodeViewState('service=javascript:alert(1)&service=https://ok.example/ogc').services).toEqual([
      'https://ok.example/ogc',
    ]);
  });

  it('leaves defaults out of the query string', () => {
    expect(encodeViewState({ role: 'planner' })).toBe('');
  });
});
