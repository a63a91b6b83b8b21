// The output folder (--out) changes only when a conversion succeeds. A conversion writes everything (spill files,
// tiles/, tileset.json, ids.json) into a staging folder inside the output folder; only a finished tileset is moved into
// place, so a failed, interrupted or crashed conversion leaves the previous tileset as it was. Staging folders are
// named after their process, so that a later run removes those whose process is gone.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ID_INDEX_FILE, TILESET_FILE } from './stages/write-tileset';

const STAGING_PREFIX = '.plaza-tiler-';
/** `.plaza-tiler-<pid>-<milliseconds>` (a folder; older versions left `…-<index>.spill` files with the same start). */
const STAGING_NAME = /^\.plaza-tiler-(\d+)-\d+/;
/** What a conversion writes, moved into place in this order (tileset.json, which refers to the tiles, after them). */
const OUTPUTS = ['tiles', TILESET_FILE, ID_INDEX_FILE];

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the staging folders (and old spill files) in `outDirectory` whose process id `remove` picks. */
function removeStagingOf(outDirectory: string, remove: (pid: number) => boolean): void {
  for (const name of readdirSync(outDirectory)) {
    const match = STAGING_NAME.exec(name);
    if (match && remove(Number(match[1])))
      rmSync(path.join(outDirectory, name), { recursive: true, force: true });
  }
}

/** Removes staging folders (and old spill files) of conversions whose process no longer runs. */
export function removeStaleStaging(outDirectory: string): void {
  removeStagingOf(outDirectory, (pid) => !isRunning(pid));
}

/**
 * Creates the output folder when missing, removes what crashed runs left there, and returns a new empty staging folder
 * inside it for this conversion.
 */
export function createStaging(outDirectory: string): string {
  mkdirSync(outDirectory, { recursive: true });
  removeStaleStaging(outDirectory);
  const staging = path.join(outDirectory, `${STAGING_PREFIX}${process.pid}-${Date.now()}`);
  mkdirSync(staging);
  return staging;
}

/**
 * Moves a finished conversion from `staging` into `outDirectory`, replacing the previous tileset (its tiles folder
 * goes as a whole, so no tile of it is left behind). Each step is a rename, so the
 * previous tileset stays complete until the first step and the new one is complete after the last. The staging folder
 * (now holding the previous tiles and the spill files) is left for {@link removeStaging}.
 */
export function publishStaging(staging: string, outDirectory: string): void {
  const previousTiles = path.join(staging, 'previous-tiles');
  const tiles = path.join(outDirectory, 'tiles');
  if (existsSync(tiles)) renameSync(tiles, previousTiles);
  for (const name of OUTPUTS) {
    const from = path.join(staging, name);
    if (existsSync(from)) renameSync(from, path.join(outDirectory, name));
  }
}

export function removeStaging(staging: string): void {
  rmSync(staging, { recursive: true, force: true });
}

/** Removes this process's staging folders in `outDirectory` (used when the CLI is interrupted). */
export function removeOwnStaging(outDirectory: string): void {
  try {
    removeStagingOf(outDirectory, (pid) => pid === process.pid);
  } catch {
    // No output folder (yet): nothing to remove.
  }
}
