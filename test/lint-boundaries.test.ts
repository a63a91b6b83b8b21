import { ESLint } from 'eslint';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Probe files, written into the tree for the duration of the test: typed linting only sees files on disk. */
const PROBES: Record<string, string> = {
  'src/panels/lint-probe-cesium.ts': "import { Viewer } from 'cesium';\nexport const probe = Viewer;\n",
  'src/viewer/lint-probe-cesium.ts': "import { Viewer } from 'cesium';\nexport const probe = Viewer;\n",
  'server/http/lint-probe-src.ts':
    "import { SERVER_URL } from '../../src/config';\nexport const probe = SERVER_URL;\n",
  'server/http/lint-probe-promise.ts': 'async function work(): Promise<void> {}\nwork();\n',
  'server/tiler/lint-probe-http.ts':
    "import { ApiError } from '../http/errors';\nexport const probe = ApiError;\n",
};

let results: Map<string, string[]>;

beforeAll(async () => {
  for (const [path, code] of Object.entries(PROBES)) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), code);
  }
  try {
    const eslint = new ESLint({ cwd: ROOT });
    const linted = await eslint.lintFiles(Object.keys(PROBES).map((path) => join(ROOT, path)));
    results = new Map(
      linted.map((result) => [
        result.filePath.slice(ROOT.length + 1),
        result.messages.map((message) => `${message.ruleId}: ${message.message}`),
      ]),
    );
  } finally {
    for (const path of Object.keys(PROBES)) rmSync(join(ROOT, path), { force: true });
  }
}, 120_000);

afterAll(() => {
  for (const path of Object.keys(PROBES)) rmSync(join(ROOT, path), { force: true });
});

describe('lint boundaries', () => {
  it('rejects a cesium import outside src/viewer/ and src/layers/', () => {
    expect(results.get('src/panels/lint-probe-cesium.ts')).toContainEqual(
      expect.stringMatching(/^no-restricted-imports: .*cesium/),
    );
  });

  it('accepts a cesium import inside src/viewer/', () => {
    expect(results.get('src/viewer/lint-probe-cesium.ts')).toEqual([]);
  });

  it('rejects an import from src/ inside server/', () => {
    expect(results.get('server/http/lint-probe-src.ts')).toContainEqual(
      expect.stringContaining('server/ never imports from src/'),
    );
  });

  it('rejects an import of server/http/ inside server/tiler/', () => {
    expect(results.get('server/tiler/lint-probe-http.ts')).toContainEqual(
      expect.stringContaining('server/tiler/ never imports server/http/'),
    );
  });

  it('rejects a floating promise', () => {
    expect(results.get('server/http/lint-probe-promise.ts')).toContainEqual(
      expect.stringMatching(/^@typescript-eslint\/no-floating-promises/),
    );
  });
});
