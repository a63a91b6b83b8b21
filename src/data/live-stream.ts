// The live stream from the Plaza server (/live, Server-Sent Events): a snapshot, then deltas, with broker status.

/** An NGSI-LD entity as the live relay sends it: short names, plain values. */
export interface LiveEntity {
  id: string;
  type: string;
  location?: { type: string; coordinates: unknown };
  observedAt?: string;
  values: Record<string, number | string | boolean | null>;
  units: Record<string, string>;
  relationships: Record<string, string | string[]>;
}

export type BrokerState = 'connected' | 'unavailable' | 'incompatible';

export interface LiveStatus {
  broker: BrokerState;
  detail: string;
  mode: 'subscription' | 'polling';
}

/** The connection between this page and the Plaza server, as a person should read it. */
export type StreamState = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface LiveHandlers {
  onSnapshot(entities: LiveEntity[]): void;
  onUpdate(entities: LiveEntity[]): void;
  onDelete(ids: string[]): void;
  onStatus(status: LiveStatus): void;
  onStreamState(state: StreamState): void;
  /** An event whose data could not be read; the stream goes on. */
  onMalformed?(event: string, reason: string): void;
}

/** The /live URL for a type list and view box. */
export function liveUrl(serverUrl: string, options: { types?: string[]; bbox?: number[] } = {}): string {
  const url = new URL(`${serverUrl}/live`, globalThis.location?.href ?? 'http://localhost/');
  if (options.types?.length) url.searchParams.set('types', options.types.join(','));
  if (options.bbox) url.searchParams.set('bbox', options.bbox.map((value) => value.toFixed(6)).join(','));
  return url.href;
}

function parse<T>(event: MessageEvent<string>, name: string, handlers: LiveHandlers): T | undefined {
  try {
    return JSON.parse(event.data) as T;
  } catch (error) {
    handlers.onMalformed?.(name, error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

/**
 * Opens the live stream. EventSource reconnects by itself and sends `Last-Event-ID`, so the server resumes with the
 * events this page missed.
 * @returns a function that closes the stream
 */
export function connectLive(url: string, handlers: LiveHandlers): () => void {
  const source = new EventSource(url);
  handlers.onStreamState('connecting');
  source.onopen = () => handlers.onStreamState('open');
  source.onerror = () => handlers.onStreamState(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  source.addEventListener('snapshot', (event) => {
    const data = parse<{ entities?: LiveEntity[] }>(event, 'snapshot', handlers);
    if (data && Array.isArray(data.entities)) handlers.onSnapshot(data.entities);
  });
  source.addEventListener('update', (event) => {
    const data = parse<{ entities?: LiveEntity[] }>(event, 'update', handlers);
    if (data && Array.isArray(data.entities)) handlers.onUpdate(data.entities);
  });
  source.addEventListener('delete', (event) => {
    const data = parse<{ ids?: string[] }>(event, 'delete', handlers);
    if (data && Array.isArray(data.ids)) handlers.onDelete(data.ids);
  });
  source.addEventListener('status', (event) => {
    const data = parse<LiveStatus>(event, 'status', handlers);
    if (data && typeof data.broker === 'string') handlers.onStatus(data);
  });
  return () => {
    source.close();
    handlers.onStreamState('closed');
  };
}
