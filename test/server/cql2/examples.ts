// The CQL2 1.0 specification's example filters (../shared/data/cql2), read for the CQL2 tests.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const CQL2_DATA = path.resolve('..', 'shared', 'data', 'cql2');

export interface Cql2Example {
  name: string;
  text: string;
}

function readExamples(folder: string, extension: string): Cql2Example[] {
  return readdirSync(path.join(CQL2_DATA, folder))
    .filter((file) => file.endsWith(extension))
    .sort()
    .map((file) => ({
      name: file.slice(0, -extension.length),
      text: readFileSync(path.join(CQL2_DATA, folder, file), 'utf8'),
    }));
}

/** The 120 CQL2-text examples, by base name (`example36-alt01`). */
export const TEXT_EXAMPLES = readExamples('text', '.txt');
/** The 109 CQL2-JSON examples, by base name. */
export const JSON_EXAMPLES = readExamples('json', '.json');
