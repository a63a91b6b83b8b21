// The simulator as a Plaza subsystem: after the server listens, it feeds the configured NGSI-LD broker (the embedded
// one by default) with the demo district's sensors and reports its rate and last error on /health.
import type { PlazaConfig } from '../../config';
import type { PlazaModule } from '../../http/module';
import type { SubsystemHealth } from '../../http/health';
import { createDemoDistrict } from '../city/district';
import type { DemoDistrict } from '../city/types';
import { createSimulatedSensors, createSupportingEntities, type SimulatedSensorOptions } from './sensors';
import { Simulator, type SimulatorLogger } from './simulator';
import { NgsiLdWriter } from './writer';

/** Options of {@link createSimulatorModule}, mainly for tests and benchmarks. */
export interface SimulatorModuleOptions {
  /** The district to place sensors in (default the demo district, `createDemoDistrict()`). */
  district?: DemoDistrict;
  sensors?: SimulatedSensorOptions;
  clock?: () => Date;
  logger?: SimulatorLogger;
  /** Retry delays after a failed write (defaults 500 ms doubling to 30 s). */
  initialBackoffMs?: number;
  maximumBackoffMs?: number;
}

/**
 * The live sensor simulator. `start(baseUrl)` begins writing to `config.ngsiLd.url ?? ${baseUrl}/ngsi-ld/v1` with
 * `config.ngsiLd.tenant`, `.token` and `.context`, at `config.simulatorRate` entity updates per second; `close()`
 * stops it. Health: `ok` while writes succeed, `degraded` with the last error while the broker is unreachable.
 */
export function createSimulatorModule(
  config: PlazaConfig,
  options: SimulatorModuleOptions = {},
): PlazaModule {
  let simulator: Simulator | undefined;
  let target: string | undefined;
  let logger: SimulatorLogger | undefined = options.logger;
  const report = (): SubsystemHealth => {
    if (!simulator)
      return { status: 'ok', detail: 'starts once the server listens', rate: config.simulatorRate };
    const status = simulator.status();
    const failing = status.state === 'retrying' || status.state === 'seeding';
    return {
      ...status,
      state: status.state,
      status: status.state === 'retrying' ? 'degraded' : status.state === 'stopped' ? 'off' : 'ok',
      detail: failing
        ? status.lastError
          ? `cannot write to ${target}: ${status.lastError}`
          : `creating ${status.sensors} entities in ${target}`
        : `${status.sensors} simulated entities, ${status.achievedRate}/s to ${target}`,
      broker: target,
    };
  };
  return {
    name: 'simulator',
    register(app, { health }) {
      logger ??= { info: (message) => app.log.info(message), warn: (message) => app.log.warn(message) };
      health.register('simulator', report);
    },
    start(baseUrl) {
      if (simulator) return;
      const district = options.district ?? createDemoDistrict();
      const sensors = createSimulatedSensors(district, options.sensors);
      target = config.ngsiLd.url ?? `${baseUrl.replace(/\/+$/, '')}/ngsi-ld/v1`;
      const writer = new NgsiLdWriter({
        url: target,
        tenant: config.ngsiLd.tenant,
        token: config.ngsiLd.token,
        apiKey: config.ngsiLd.apiKey,
        apiKeyHeader: config.ngsiLd.apiKeyHeader,
        context: config.ngsiLd.context,
      });
      simulator = new Simulator(sensors, createSupportingEntities(district, sensors), writer, {
        rate: config.simulatorRate,
        clock: options.clock,
        logger,
        initialBackoffMs: options.initialBackoffMs,
        maximumBackoffMs: options.maximumBackoffMs,
      });
      simulator.start();
      logger?.info(`simulator: ${sensors.length} entities, ${config.simulatorRate} updates/s to ${target}`);
    },
    async close() {
      await simulator?.stop();
    },
  };
}
