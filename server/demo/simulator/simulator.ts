// The simulation loop: seeds the broker with every entity, then sends observations at a steady rate as batch
// updates, re-creating entities the broker lost and backing off (logging once) while the broker is unreachable.
import type { NgsiLdEntity, SimulatedSensor } from './model';
import { createSensorEntity, nextObservation } from './observations';
import type { NgsiLdWriter } from './writer';

/** Minimal logger (Fastify's and pino's fit). */
export interface SimulatorLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Options of {@link Simulator}. */
export interface SimulatorOptions {
  /** Entity updates per second across all sensors (config.simulatorRate; default 5). */
  rate?: number;
  /** The simulation's clock (default the wall clock). */
  clock?: () => Date;
  logger?: SimulatorLogger;
  /** First retry delay after a failed write (default 500 ms), doubled up to `maximumBackoffMs` (default 30 s). */
  initialBackoffMs?: number;
  maximumBackoffMs?: number;
}

/** What the simulator is doing, for /health. */
export interface SimulatorStatus {
  state: 'idle' | 'seeding' | 'running' | 'retrying' | 'stopped';
  /** Configured updates per second. */
  rate: number;
  /** Updates per second the broker accepted over the last 10 seconds. */
  achievedRate: number;
  sensors: number;
  updatesSent: number;
  lastError?: string;
  lastErrorAt?: string;
  lastSuccessAt?: string;
  /** While retrying: the delay before the next try. */
  retryInMs?: number;
}

const RATE_WINDOW_MS = 10_000;

/**
 * How many of ten rounds update each kind: observations change within minutes, a device's battery and a street
 * light's state within hours, so they take a smaller share of the rate.
 */
const ROUNDS_PER_CYCLE = 10;
const ROUNDS_UPDATED: Record<SimulatedSensor['type'], number> = {
  AirQualityObserved: 10,
  NoiseLevelObserved: 10,
  TrafficFlowObserved: 10,
  WeatherObserved: 10,
  ParkingSpot: 10,
  OffStreetParking: 10,
  Device: 2,
  StreetLight: 1,
};

/** The order in which sensors are updated: a cycle of rounds, each kind in its share of them, evenly spread. */
export function createUpdateSchedule(sensors: SimulatedSensor[]): number[] {
  const schedule: number[] = [];
  for (let round = 0; round < ROUNDS_PER_CYCLE; round++) {
    sensors.forEach((sensor, index) => {
      const every = ROUNDS_PER_CYCLE / ROUNDS_UPDATED[sensor.type];
      if ((index + round) % every === 0) schedule.push(index);
    });
  }
  return schedule;
}

/** Runs the simulation of a set of sensors against one broker. */
export class Simulator {
  readonly #sensors: SimulatedSensor[];
  readonly #supporting: NgsiLdEntity[];
  readonly #writer: NgsiLdWriter;
  readonly #rate: number;
  readonly #clock: () => Date;
  readonly #logger: SimulatorLogger | undefined;
  readonly #initialBackoffMs: number;
  readonly #maximumBackoffMs: number;
  readonly #byId: Map<string, SimulatedSensor>;
  readonly #schedule: number[];
  #state: SimulatorStatus['state'] = 'idle';
  #next = 0;
  #credit = 0;
  #updatesSent = 0;
  #samples: Array<[time: number, count: number]> = [];
  #lastError: string | undefined;
  #lastErrorAt: Date | undefined;
  #lastSuccessAt: Date | undefined;
  #failing = false;
  #retryInMs: number | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    sensors: SimulatedSensor[],
    supporting: NgsiLdEntity[],
    writer: NgsiLdWriter,
    options: SimulatorOptions = {},
  ) {
    this.#sensors = sensors;
    this.#supporting = supporting;
    this.#writer = writer;
    this.#rate = options.rate ?? 5;
    if (!(this.#rate > 0)) throw new RangeError(`rate must be > 0, got ${this.#rate}`);
    this.#clock = options.clock ?? (() => new Date());
    this.#logger = options.logger;
    this.#initialBackoffMs = options.initialBackoffMs ?? 500;
    this.#maximumBackoffMs = options.maximumBackoffMs ?? 30_000;
    this.#byId = new Map(sensors.map((sensor) => [sensor.id, sensor]));
    this.#schedule = createUpdateSchedule(sensors);
  }

  /** Starts writing (in the background); calling it twice does nothing. */
  start(): void {
    if (this.#loop) return;
    this.#state = 'seeding';
    this.#loop = this.#run();
  }

  /** Stops writing, cancels a request in flight and waits for the loop to end. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopped';
    this.#writer.abort();
    this.#wakeUp();
    await this.#loop;
  }

  status(): SimulatorStatus {
    const now = Date.now();
    this.#samples = this.#samples.filter(([time]) => now - time <= RATE_WINDOW_MS);
    const counted = this.#samples.reduce((total, [, count]) => total + count, 0);
    return {
      state: this.#state,
      rate: this.#rate,
      achievedRate: Math.round((counted / (RATE_WINDOW_MS / 1000)) * 10) / 10,
      sensors: this.#sensors.length,
      updatesSent: this.#updatesSent,
      ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      ...(this.#lastErrorAt ? { lastErrorAt: this.#lastErrorAt.toISOString() } : {}),
      ...(this.#lastSuccessAt ? { lastSuccessAt: this.#lastSuccessAt.toISOString() } : {}),
      ...(this.#state === 'retrying' && this.#retryInMs !== undefined ? { retryInMs: this.#retryInMs } : {}),
    };
  }

  #wakeUp(): void {
    clearTimeout(this.#timer);
    this.#wake?.();
  }

  #sleep(milliseconds: number): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(resolve, milliseconds);
      // The process may exit while the simulator waits.
      this.#timer.unref();
    });
  }

  get #stopped(): boolean {
    return this.#state === 'stopped';
  }

  async #run(): Promise<void> {
    const tickMs = Math.min(1000, Math.max(50, 1000 / this.#rate));
    // Never catch up more than two seconds of updates in one go after a stall.
    const maximumCredit = Math.max(1, this.#rate * 2);
    let seeded = false;
    let backoff = this.#initialBackoffMs;
    let lastTick = performance.now();
    while (!this.#stopped) {
      try {
        if (!seeded) {
          const time = this.#clock();
          await this.#writer.upsert([
            ...this.#supporting,
            ...this.#sensors.map((sensor) => createSensorEntity(sensor, time)),
          ]);
          seeded = true;
          lastTick = performance.now();
          this.#succeeded();
        } else {
          const now = performance.now();
          this.#credit = Math.min(maximumCredit, this.#credit + ((now - lastTick) / 1000) * this.#rate);
          lastTick = now;
          const count = Math.floor(this.#credit);
          if (count >= 1) {
            await this.#sendUpdates(count);
            this.#credit -= count;
            this.#succeeded();
          }
        }
        backoff = this.#initialBackoffMs;
        if (!this.#stopped) await this.#sleep(tickMs);
      } catch (error) {
        if (this.#stopped) break;
        this.#failed(error, backoff);
        await this.#sleep(backoff);
        backoff = Math.min(this.#maximumBackoffMs, backoff * 2);
        // Updates missed while the broker was away are dropped, not replayed in a burst.
        this.#credit = 0;
        lastTick = performance.now();
      }
    }
  }

  async #sendUpdates(count: number): Promise<void> {
    const time = this.#clock();
    const fragments: Array<Record<string, unknown>> = [];
    const included = new Set<SimulatedSensor>();
    for (let index = 0; index < count && this.#schedule.length > 0; index++) {
      const sensor = this.#sensors[this.#schedule[this.#next]!]!;
      // One fragment per entity and batch: a small district at a high rate waits for the next tick.
      if (included.has(sensor)) break;
      included.add(sensor);
      this.#next = (this.#next + 1) % this.#schedule.length;
      fragments.push({ id: sensor.id, type: sensor.type, ...nextObservation(sensor, time) });
    }
    const outcome = await this.#writer.update(fragments);
    // Entities the broker no longer has (deleted, or a broker without persistence restarted) are created again.
    const lost = outcome.errors
      .filter((error) => /not ?found/i.test(`${error.type} ${error.detail}`))
      .map((error) => this.#byId.get(error.id))
      .filter((sensor): sensor is SimulatedSensor => sensor !== undefined);
    if (lost.length > 0) {
      await this.#writer.upsert(lost.map((sensor) => createSensorEntity(sensor, time)));
    }
    const refused = outcome.errors.length - lost.length;
    if (refused > 0) {
      const example = outcome.errors.find((error) => !/not ?found/i.test(`${error.type} ${error.detail}`))!;
      this.#lastError = `broker refused ${refused} update(s), e.g. ${example.id}: ${example.type} ${example.detail}`;
      this.#lastErrorAt = new Date();
    }
    this.#updatesSent += fragments.length - refused;
    this.#samples.push([Date.now(), fragments.length - refused]);
  }

  #succeeded(): void {
    this.#lastSuccessAt = new Date();
    // 'retrying' lasts until a write succeeds again.
    if (!this.#stopped) this.#state = 'running';
    if (this.#failing) {
      this.#failing = false;
      this.#logger?.info(`simulator: writing to ${this.#writer.url} again`);
    }
  }

  #failed(error: unknown, backoff: number): void {
    const message = error instanceof Error ? error.message : String(error);
    this.#lastError = message;
    this.#lastErrorAt = new Date();
    this.#retryInMs = backoff;
    this.#state = 'retrying';
    // One log line per outage, not one per retry.
    if (!this.#failing) {
      this.#failing = true;
      this.#logger?.warn(
        `simulator: ${message}; retrying with backoff up to ${this.#maximumBackoffMs / 1000} s`,
      );
    }
  }
}
