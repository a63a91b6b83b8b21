// Which subsystems a configuration mounts. Each subsystem's issue adds its module here.
import type { PlazaConfig } from './config';
import type { PlazaModule } from './http/module';

/** The subsystems that `config` asks for, in mounting order. */
export async function selectModules(config: PlazaConfig): Promise<PlazaModule[]> {
  void config;
  return [];
}
