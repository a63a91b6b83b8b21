// The whole view as URL query parameters, so a link or a reload restores what the user saw.

export type Role = 'citizen' | 'planner' | 'operator';
export const ROLES: Role[] = ['citizen', 'planner', 'operator'];

/** Camera position in degrees and metres, orientation in degrees. */
export interface CameraState {
  longitude: number;
  latitude: number;
  height: number;
  heading: number;
  pitch: number;
}

export interface LayerState {
  id: string;
  visible: boolean;
  opacity: number;
  /** Building style mode of 3D Tiles layers, or undefined. */
  style?: string;
  /** CQL2-text filter of feature layers. */
  filter?: string;
}

export interface ViewState {
  role: Role;
  camera?: CameraState;
  /** In drawing order. */
  layers?: LayerState[];
  /** Selected building or entity id. */
  selected?: string;
  isolated?: boolean;
  /** Live types hidden from the map. */
  hiddenTypes?: string[];
  /** Aggregation overlay: the sensor attribute shown, as 'Type.attribute'. */
  overlay?: string;
  /** Services the user added by URL. */
  services?: string[];
}

const DEFAULT_ROLE: Role = 'planner';

/** encodeURIComponent that also escapes the separators used inside the `layers` parameter. */
function escapeId(id: string): string {
  return encodeURIComponent(id).replace(/~/g, '%7E').replace(/!/g, '%21');
}

function round(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}

/** Writes a view state as a query string (without '?'). Default values are left out to keep links short. */
export function encodeViewState(state: ViewState): string {
  const parameters = new URLSearchParams();
  if (state.role !== DEFAULT_ROLE) parameters.set('role', state.role);
  if (state.camera) {
    const { longitude, latitude, height, heading, pitch } = state.camera;
    parameters.set(
      'camera',
      [round(longitude, 6), round(latitude, 6), round(height, 1), round(heading, 1), round(pitch, 1)].join(
        ',',
      ),
    );
  }
  if (state.layers) {
    parameters.set(
      'layers',
      state.layers
        .map((layer) =>
          [escapeId(layer.id), layer.visible ? '1' : '0', round(layer.opacity, 2), layer.style ?? '']
            .join('~')
            .replace(/~+$/, ''),
        )
        .join('!'),
    );
    for (const layer of state.layers) if (layer.filter) parameters.set(`filter.${layer.id}`, layer.filter);
  }
  if (state.selected) parameters.set('selected', state.selected);
  if (state.isolated) parameters.set('isolated', '1');
  if (state.hiddenTypes?.length) parameters.set('hide', state.hiddenTypes.join(','));
  if (state.overlay) parameters.set('overlay', state.overlay);
  for (const service of state.services ?? []) parameters.append('service', service);
  return parameters.toString();
}

function parseNumbers(text: string | null, count: number): number[] | undefined {
  if (!text) return undefined;
  const numbers = text.split(',').map(Number);
  return numbers.length === count && numbers.every(Number.isFinite) ? numbers : undefined;
}

/** Reads a view state from a query string. Unknown or malformed parts are ignored, never fatal. */
export function decodeViewState(search: string): ViewState {
  const parameters = new URLSearchParams(search);
  const role = parameters.get('role');
  const state: ViewState = { role: ROLES.includes(role as Role) ? (role as Role) : DEFAULT_ROLE };
  const camera = parseNumbers(parameters.get('camera'), 5);
  if (camera && Math.abs(camera[1]) <= 90 && camera[2] > 0) {
    const [longitude, latitude, height, heading, pitch] = camera;
    state.camera = { longitude, latitude, height, heading, pitch };
  }
  const layers = parameters.get('layers');
  if (layers !== null) {
    state.layers = layers
      .split('!')
      .filter(Boolean)
      .map((part) => {
        const [id, visible, opacity, style] = part.split('~');
        const parsedOpacity = Number(opacity);
        const decodedId = decodeURIComponent(id);
        return {
          id: decodedId,
          visible: visible !== '0',
          opacity: Number.isFinite(parsedOpacity) ? Math.min(1, Math.max(0, parsedOpacity)) : 1,
          ...(style ? { style } : {}),
          ...(parameters.get(`filter.${decodedId}`)
            ? { filter: parameters.get(`filter.${decodedId}`)! }
            : {}),
        };
      });
  }
  // `?layer=<id>` is the "open in viewer" link of the OGC API pages: that layer, shown.
  const single = parameters.get('layer');
  if (single && !state.layers) state.layers = [{ id: single, visible: true, opacity: 1 }];
  const selected = parameters.get('selected');
  if (selected) state.selected = selected;
  if (parameters.get('isolated') === '1') state.isolated = true;
  const hidden = parameters.get('hide');
  if (hidden) state.hiddenTypes = hidden.split(',').filter(Boolean);
  const overlay = parameters.get('overlay');
  if (overlay) state.overlay = overlay;
  const services = parameters.getAll('service').filter((service) => /^https?:\/\//.test(service));
  if (services.length) state.services = services;
  return state;
}
