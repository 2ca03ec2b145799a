/**
 * The README's library snippets compile as a new user would compile them: in an ES-module
 * project whose tsconfig is what `tsc --init` writes (strict, exactOptionalPropertyTypes,
 * noUncheckedIndexedAccess, module nodenext), importing emishift by name.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The ```ts blocks of a markdown text. */
function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
}

test("the README's TypeScript snippets compile under a default tsc --init", (t) => {
  const blocks = typescriptBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 3, `found ${blocks.length} snippets`);
  const project = mkdtempSync(join(tmpdir(), 'emishift-readme-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  const init = spawnSync(process.execPath, [TSC, '--init'], { cwd: project, encoding: 'utf8' });
  assert.equal(init.status, 0, init.stdout + init.stderr);
  const config = readFileSync(join(project, 'tsconfig.json'), 'utf8');
  for (const setting of ['"exactOptionalPropertyTypes": true', '"strict": true', '"module": "nodenext"']) assert.ok(config.includes(setting), `tsc --init wrote ${setting}`);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'readme-check', private: true, type: 'module' }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'emishift'), 'dir');
  blocks.forEach((block, index) => writeFileSync(join(project, `snippet${index + 1}.ts`), block));
  const compiled = spawnSync(process.execPath, [TSC, '-p', project, '--noEmit'], { cwd: project, encoding: 'utf8' });
  assert.equal(compiled.status, 0, `tsc reported:\n${compiled.stdout}${compiled.stderr}`);
});
