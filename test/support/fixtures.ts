/**
 * Shared fixtures live outside the repository; tests find them through EMISHIFT_FIXTURES (the
 * folder holding `official/`). Absent → the test is skipped with a message saying so.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function fixturePath(...parts: string[]): { path?: string; skipReason?: string } {
  const root = process.env.EMISHIFT_FIXTURES;
  if (!root) return { skipReason: 'EMISHIFT_FIXTURES is not set (point it at the shared fixtures folder, e.g. ../shared/fixtures)' };
  const path = join(root, ...parts);
  if (!existsSync(path)) return { skipReason: `fixture ${path} is absent (EMISHIFT_FIXTURES=${root})` };
  return { path };
}

/** The shared real-data folder (official results, text splits), through EMISHIFT_DATA. */
export function sharedDataPath(...parts: string[]): { path?: string; skipReason?: string } {
  const root = process.env.EMISHIFT_DATA;
  if (!root) return { skipReason: 'EMISHIFT_DATA is not set (point it at the shared data folder, e.g. ../shared/data)' };
  const path = join(root, ...parts);
  if (!existsSync(path)) return { skipReason: `shared data ${path} is absent (EMISHIFT_DATA=${root})` };
  return { path };
}
