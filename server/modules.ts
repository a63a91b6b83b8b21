// Which subsystems a configuration mounts. Each subsystem's issue adds its module here.
import type { PlazaConfig } from './config';
import type { PlazaModule } from './http/module';
import { createNgsiLdBrokerModule } from './ngsi-ld';
import { createOgcModule } from './ogc/module';
import { createSimulatorModule } from './demo/simulator';
import { createLiveModule } from './live/module';
import { createFacadeModule } from './facade';

/** The subsystems that `config` asks for, in mounting order. */
export async function selectModules(config: PlazaConfig): Promise<PlazaModule[]> {
  const modules: PlazaModule[] = [];
  // The embedded NGSI-LD broker serves /ngsi-ld/v1 unless an external broker is configured.
  const broker = config.ngsiLd.url ? undefined : createNgsiLdBrokerModule(config);
  if (broker) modules.push(broker);
  // OGC API Features and 3D GeoVolumes at /ogc (also /collections, /conformance, /api). Over the embedded broker its
  // NGSI-LD collections read the store in process, unless a compatibility profile asks to behave like another broker
  // (its quirks are in the HTTP answers, so the reads go over HTTP then).
  modules.push(
    createOgcModule(config, {
      embeddedBroker: broker && config.broker.profile === 'standard' ? () => broker.services() : undefined,
    }),
  );
  // The live relay (/live Server-Sent Events, /links) over the same broker.
  modules.push(createLiveModule(config));
  // The read-only NGSI-LD facade over the OGC collections at /ngsi-ld/facade/v1.
  modules.push(createFacadeModule(config));
  // The demo sensor simulator writes to the broker (embedded or external) once the server listens.
  if (config.simulator) modules.push(createSimulatorModule(config));
  return modules;
}
