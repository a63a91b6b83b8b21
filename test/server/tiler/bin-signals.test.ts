// `npm run tiles` (server/tiler/bin.mjs) interrupted: the process must die of the signal it got (a shell then reports
// 130 / 143 / 129), must not leave the converting child behind, and must leave the output folder as it was (the
// previous tileset kept, the conversion's staging folder removed). The input is a named pipe nobody writes to, so the
// conversion is certainly still running (blocked reading) when the signal arrives, however fast the machine is.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const temporary = mkdtempSync(path.join(tmpdir(), 'plaza-tiler-signals-'));
const pipe = path.join(temporary, 'never-written.gml');
execFileSync('mkfifo', [pipe]);

afterAll(() => rmSync(temporary, { recursive: true, force: true }));

/** Process ids whose parent is `pid` (field 4 of /proc/<id>/stat, after the parenthesised command name). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return children;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('tiler CLI (bin.mjs) on signals', () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`dies of ${signal} with the converting child gone when ${signal} arrives mid-conversion`, async () => {
      const out = path.join(temporary, `out-${signal}`);
      mkdirSync(path.join(out, 'tiles'), { recursive: true });
      writeFileSync(path.join(out, 'tileset.json'), 'previous tileset');
      writeFileSync(path.join(out, 'tiles', '0-0-0.glb'), 'previous tile');
      const cli = spawn(process.execPath, ['server/tiler/bin.mjs', pipe, '--out', out, '--quiet'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        cli.on('exit', (code, received) => resolve({ code, signal: received })),
      );
      // The bundle may need building first (a few seconds on a cold cache); then the child blocks on the pipe.
      const child = await waitFor(() => childrenOf(cli.pid!)[0], 60_000, 'the converting child');
      // The conversion has started once its staging folder exists; it then blocks reading the pipe.
      const staging = () => readdirSync(out).filter((name) => name.startsWith('.plaza-tiler-'));
      await waitFor(() => (staging().length > 0 ? true : undefined), 30_000, 'the staging folder');
      expect(staging()).toHaveLength(1);
      expect(isAlive(child)).toBe(true);

      cli.kill(signal);
      const result = await exited;
      expect(result).toEqual({ code: null, signal });
      await waitFor(() => (isAlive(child) ? undefined : true), 5_000, 'the child to end');
      expect(isAlive(child)).toBe(false);
      expect(readdirSync(out).sort()).toEqual(['tiles', 'tileset.json']);
      expect(readFileSync(path.join(out, 'tileset.json'), 'utf8')).toBe('previous tileset');
      expect(readdirSync(path.join(out, 'tiles'))).toEqual(['0-0-0.glb']);
    }, 90_000);
  }
});
