// `npm run config:check [file]`: validates a collections config file (default $PLAZA_COLLECTIONS) and says what it serves.
import { existsSync } from 'node:fs';
import { CollectionsConfigError, loadCollectionsConfig } from './collections-config';
import { ConfigError, parseConfig } from '../config';

function main(): number {
  try {
    const path = process.argv[2] ?? parseConfig().ogc.collectionsFile;
    const config = loadCollectionsConfig(path);
    const missing = config.collections.filter(
      (collection) =>
        (collection.provider.type === 'geopackage' || collection.provider.type === 'geojson') &&
        !existsSync(collection.provider.path),
    );
    process.stdout.write(
      `${path ?? '(built-in defaults)'}: valid; ${config.collections.length} configured collection(s)` +
        `${config.demoLayers ? ', demo layers' : ''}${config.tilesets ? ', tilesets' : ''}${config.ngsiLdTypes ? ', NGSI-LD types' : ''}\n`,
    );
    for (const collection of missing) {
      process.stdout.write(
        `warning: collection '${collection.id}': file ${(collection.provider as { path: string }).path} does not exist yet\n`,
      );
    }
    return 0;
  } catch (error) {
    if (error instanceof CollectionsConfigError || error instanceof ConfigError) {
      process.stderr.write(`plaza: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

process.exitCode = main();
