import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const CLI = resolve('server', 'demo', 'city', 'cli.ts');

async function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', CLI, ...args], {
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

describe('demo:city CLI', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'plaza-demo-city-cli-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('writes a well-formed CityGML file with the requested buildings and prints a summary', async () => {
    const out = join(directory, 'nested', 'city.gml');
    const result = await runCli(['--buildings', '50', '--out', out, '--seed', '3']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${out}: 50 buildings`);
    expect(result.stdout).toContain('EPSG:25832');
    // Not a terminal: no progress line.
    expect(result.stderr).toBe('');
    const text = await readFile(out, 'utf8');
    expect(text.match(/<bldg:Building /g)).toHaveLength(50);
    await run('xmllint', ['--noout', out]);
    expect(await readdir(join(directory, 'nested'))).toEqual(['city.gml']);
  });

  it('shows a progress line when stderr is a terminal', async () => {
    const out = join(directory, 'tty.gml');
    // script(1) from bsdutils runs the CLI on a pseudo-terminal.
    const command = `'${process.execPath}' --import tsx '${CLI}' --buildings 2500 --out '${out}'`;
    const { stdout } = await run('script', ['-qec', command, '/dev/null'], { timeout: 60_000 });
    expect(stdout).toContain('\r 40% 1,000 / 2,500 buildings, ');
    expect(stdout).toContain('\r 80% 2,000 / 2,500 buildings, ');
    expect(stdout).toContain('\r100% 2,500 / 2,500 buildings, ');
    expect(stdout).toContain(`wrote ${out}: 2500 buildings`);
  });

  it('writes byte-identical files for the same seed and different ones for another seed', async () => {
    const first = join(directory, 'first.gml');
    const second = join(directory, 'second.gml');
    const other = join(directory, 'other.gml');
    await runCli(['--buildings', '40', '--out', first, '--seed', '9']);
    await runCli(['--buildings', '40', '--out', second, '--seed', '9']);
    await runCli(['--buildings', '40', '--out', other, '--seed', '10']);
    const firstText = await readFile(first, 'utf8');
    expect(await readFile(second, 'utf8')).toBe(firstText);
    expect(await readFile(other, 'utf8')).not.toBe(firstText);
  });

  it('exits with 2 and the usage when an argument is wrong', async () => {
    const notNumber = await runCli(['--buildings', 'many', '--out', join(directory, 'x.gml')]);
    expect(notNumber.code).toBe(2);
    expect(notNumber.stderr).toContain("--buildings expects an integer, got 'many'");
    expect(notNumber.stderr).toContain('usage: npm run demo:city');
    const noOut = await runCli(['--buildings', '5']);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out is required');
    const tooMany = await runCli(['--buildings', '0', '--out', join(directory, 'x.gml')]);
    expect(tooMany.code).toBe(2);
    const unknown = await runCli(['--floors', '3', '--out', join(directory, 'x.gml')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--floors');
  });
});
