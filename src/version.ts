/** emishift's own version, from its package.json (recorded in every result's provenance). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function readVersion(): string {
  // Compiled to dist/src/version.js; the package root is two folders up.
  const file = join(__dirname, '..', '..', 'package.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}

/** emishift's version (package.json), as every result's provenance records it. */
export const EMISHIFT_VERSION: string = readVersion();
