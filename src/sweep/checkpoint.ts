/**
 * Resuming a long sweep: each finished comparison is appended as one JSON line to a checkpoint
 * file beside the output. A rerun with the same inputs skips what is there; a line cut short by
 * a crash is ignored, never misread; a checkpoint from other inputs is discarded.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { ComputedComparison } from './sweep';

export interface SweepCheckpoint {
  readonly path: string;
  readonly completed: ComputedComparison[];
  append(comparison: ComputedComparison): void;
  /** Removes the checkpoint once the final output is safely written. */
  remove(): void;
}

/** A key that changes whenever any input file or setting changes (paths, sizes, mtimes). */
export function inputFingerprint(files: readonly string[], settings: unknown): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify(settings));
  for (const file of files) {
    const stat = existsSync(file) ? statSync(file) : undefined;
    hash.update(`${file}\0${stat?.size ?? -1}\0${stat?.mtimeMs ?? -1}\n`);
  }
  return hash.digest('hex');
}

export function openSweepCheckpoint(path: string, fingerprint: string): SweepCheckpoint {
  const completed: ComputedComparison[] = [];
  let valid = false;
  if (existsSync(path)) {
    const lines = readFileSync(path, 'utf8').split('\n');
    try {
      valid = (JSON.parse(lines[0]) as { fingerprint?: string }).fingerprint === fingerprint;
    } catch {
      valid = false;
    }
    if (valid) {
      for (const line of lines.slice(1)) {
        if (line.trim() === '') continue;
        try {
          completed.push(JSON.parse(line) as ComputedComparison);
        } catch {
          break; // an interrupted final line
        }
      }
    }
  }
  if (!valid) writeFileSync(path, `${JSON.stringify({ fingerprint })}\n`);
  else writeFileSync(path, [JSON.stringify({ fingerprint }), ...completed.map((c) => JSON.stringify(c))].join('\n') + '\n');
  return {
    path,
    completed,
    append: (comparison) => appendFileSync(path, `${JSON.stringify(comparison)}\n`),
    remove: () => rmSync(path, { force: true }),
  };
}
