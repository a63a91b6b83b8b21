import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  stdout: string;
}

/** Starts server/main.ts as its own process, as `npm start` does, and optionally acts on it once it listens. */
function runPlaza(
  environment: Record<string, string>,
  whenListening?: (url: string, stop: (signal: NodeJS.Signals) => void) => void,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PLAZA_SIMULATOR: 'off',
        LOG_LEVEL: 'info',
        HOST: '127.0.0.1',
        ...environment,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let announced = false;
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /Plaza is serving at (http:\/\/\S+?)"/.exec(stdout);
      if (match && !announced) {
        announced = true;
        whenListening?.(match[1], (signal) => child.kill(signal));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stderr, stdout });
    });
  });
}

function temporaryFolder(): string {
  return mkdtempSync(join(tmpdir(), 'plaza-main-'));
}

describe('server/main', () => {
  it('exits with 1 and one clear line when a setting is invalid', async () => {
    const run = await runPlaza({ PORT: 'eighty', DATA_DIR: temporaryFolder() });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'plaza: invalid configuration: PORT="eighty": expected a number',
    ]);
  });

  it('exits with 1 and one clear line when the port is already in use', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = await runPlaza({ PORT: String(port), DATA_DIR: temporaryFolder() });
      expect(run.code).toBe(1);
      const lines = run.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(
        `plaza: port ${port} on 127.0.0.1 is already in use; stop the other server or set PORT`,
      );
    } finally {
      blocker.close();
    }
  });

  it('exits with 1 and one clear line when DATA_DIR cannot be a writable folder', async () => {
    const file = join(temporaryFolder(), 'a-file');
    writeFileSync(file, 'not a folder');
    const run = await runPlaza({ PORT: '0', DATA_DIR: file });
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^plaza: DATA_DIR ${file} is not a writable folder \\(E[A-Z]+\\); set DATA_DIR`),
    );
  });

  it.each(['SIGTERM', 'SIGINT'] as const)('serves /health and shuts down cleanly on %s', async (signal) => {
    let health: { status: string; version: string } | undefined;
    const run = await runPlaza({ PORT: '0', DATA_DIR: temporaryFolder() }, (url, stop) => {
      fetch(`${url}/health`)
        .then((response) => response.json() as Promise<{ status: string; version: string }>)
        .then((body) => (health = body))
        .finally(() => stop(signal))
        .catch(() => undefined);
    });
    expect(health?.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${signal} received, shutting down`);
  });
});
