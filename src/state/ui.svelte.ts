// App-wide interface state: the user's role, the access token for internal layers, and the restored camera.
import { getContext, setContext } from 'svelte';
import type { CameraState, Role } from './url-state';

const KEY = Symbol('plaza-ui');
const TOKEN_KEY = 'plaza.accessToken';

export class UiStore {
  role = $state<Role>('planner');
  /** Bearer token for internal collections; kept for this browser tab only, never in the URL. */
  accessToken = $state<string>('');
  camera = $state<CameraState | undefined>(undefined);
  /** What the camera shows, [west, south, east, north] in degrees (undefined when the sky fills the view). */
  viewRectangle = $state<[number, number, number, number] | undefined>(undefined);
  /** The aggregation overlay shown, as 'Type.attribute', or none. */
  overlay = $state<string | undefined>(undefined);
  /** Where the camera should fly next ([west, south, east, north] or a point); the camera sync clears it. */
  flyTarget = $state<{ bbox: [number, number, number, number] } | undefined>(undefined);

  constructor(role: Role) {
    this.role = role;
    try {
      this.accessToken = sessionStorage.getItem(TOKEN_KEY) ?? '';
    } catch {
      // Storage can be unavailable (privacy modes); the token then lasts until reload.
    }
  }

  setAccessToken(token: string): void {
    this.accessToken = token.trim();
    try {
      if (this.accessToken) sessionStorage.setItem(TOKEN_KEY, this.accessToken);
      else sessionStorage.removeItem(TOKEN_KEY);
    } catch {
      // See the constructor.
    }
  }

  /** Citizens see public layers only, whatever token the tab holds. */
  get credential(): string | undefined {
    return this.role !== 'citizen' && this.accessToken ? this.accessToken : undefined;
  }
}

export function setUiStore(role: Role): UiStore {
  return setContext(KEY, new UiStore(role));
}

export function getUiStore(): UiStore {
  const store = getContext<UiStore | undefined>(KEY);
  if (!store) throw new Error('getUiStore() used outside the app');
  return store;
}
