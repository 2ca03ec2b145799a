/**
 * `emishift init DIR`: a notebook project that works on the first `npm install`. The files come
 * from templates/notebook-project/ (README, tsconfig, .gitignore, the starter notebook); package.json
 * is written here from emishift's own manifest (peer versions, the danfojs overrides, tslab's
 * version), and the example splits are generated with the shift-grid sampler.
 *
 * emishift is not on the npm registry, so by default the running installation is packed (`npm
 * pack`) into vendor/ and the project depends on that file; `emishiftDependency` names another
 * source (a registry range once published, a git URL, a path).
 *
 * Nothing in DIR is ever overwritten: the whole project is first built in a staging folder, then
 * compared with DIR, and only then copied.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors';
import { writeFileAtomic } from '../io/atomicWrite';
import { writeSplitFolder } from '../data/splitDirectory';
import { sampleShiftGrid } from '../samplers/syntheticShiftGrid';
import { danfojsOverrides, peerVersionRange } from '../optionalPeers';

/** The package root (this file is dist/src/scaffold/notebookProject.js). */
const PACKAGE_ROOT = resolve(__dirname, '..', '..', '..');
const TEMPLATES = join(PACKAGE_ROOT, 'templates', 'notebook-project');

/** The seed of the repository's data/shift-grid: the scaffold's example splits are the same bytes. */
export const EXAMPLE_GRID_SEED = 2025;
export const EXAMPLE_GRID_FOLDER = 'data/shift-grid';
export const STARTER_NOTEBOOK = 'quickstart.ipynb';

/**
 * Packages in a scaffolded project's tree whose install scripts are skipped (npm 11's
 * `allowScripts`, where `false` is an explicit denial npm neither runs nor warns about):
 * onnxruntime-node's would download CUDA libraries (its CPU binaries ship in the package);
 * zeromq's (under tslab) only checks that its bundled prebuilt binary loads; core-js's (under
 * TensorFlow.js) prints a funding banner.
 */
export const SKIPPED_INSTALL_SCRIPTS = ['core-js', 'onnxruntime-node', 'zeromq'] as const;

export interface NotebookProjectOptions {
  /**
   * The `emishift` dependency spec for package.json (e.g. `^0.1.0`, a git URL, `file:../emishift`).
   * Default: this installation packed into vendor/emishift-VERSION.tgz.
   */
  emishiftDependency?: string | undefined;
  /** Write into a folder that already holds files (none of them is ever replaced). */
  force?: boolean | undefined;
}

export interface NotebookProjectResult {
  directory: string;
  /** Files written, relative to `directory`, in writing order. */
  written: string[];
  /** Files that already existed with exactly the scaffold's content (left as they were). */
  unchanged: string[];
  /** The `emishift` spec in package.json. */
  emishiftDependency: string;
}

interface OwnManifest {
  name: string;
  version: string;
  devDependencies: Record<string, string>;
}

function ownManifest(): OwnManifest {
  return JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as OwnManifest;
}

/** A valid npm package name from a folder name ("My Notebooks" → "my-notebooks"). */
export function projectPackageName(directory: string): string {
  const name = basename(resolve(directory))
    .toLowerCase()
    .replace(/[^a-z0-9._~-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '')
    .slice(0, 214);
  return name || 'emishift-notebooks';
}

/** The scaffold's package.json, as an object (see the module comment for where each value comes from). */
export function projectManifest(name: string, emishiftDependency: string): Record<string, unknown> {
  const own = ownManifest();
  const tslab = own.devDependencies.tslab;
  if (tslab === undefined) throw new Error("emishift's package.json has no tslab devDependency to copy the version from");
  const allowScripts: Record<string, boolean> = Object.fromEntries(SKIPPED_INSTALL_SCRIPTS.map((name) => [name, false]));
  return {
    name,
    version: '0.1.0',
    private: true,
    description: 'EMI, EMID and the EMID upper bound in TypeScript notebooks (tslab), with emishift',
    scripts: {
      lab: 'jupyter lab',
      notebook: 'jupyter notebook',
      execute: `jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab --output-dir out ${STARTER_NOTEBOOK}`,
    },
    dependencies: {
      'danfojs-node': peerVersionRange('danfojs-node'),
      emishift: emishiftDependency,
      tslab,
    },
    // Optional: if its install script fails (npm 10 on Linux x64 without access to api.nuget.org),
    // npm leaves it out and emishift runs on its portable engines.
    optionalDependencies: {
      'onnxruntime-node': peerVersionRange('onnxruntime-node'),
    },
    overrides: danfojsOverrides(),
    allowScripts,
  };
}

function render(template: string, values: Record<string, string>): string {
  const text = template.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
    if (!(key in values)) throw new Error(`template placeholder {{${key}}} has no value`);
    return values[key];
  });
  // An empty optional line (a table row left out) must not leave a blank line behind.
  return text.replace(/\n{3,}/g, '\n\n');
}

function findNpm(): { command: string; prefix: string[]; shell: boolean } {
  // Under npm/npx, npm_execpath is npm's own CLI script: the same npm that is running.
  const execPath = process.env.npm_execpath;
  if (execPath && /npm-cli\.js$/.test(execPath) && existsSync(execPath)) return { command: process.execPath, prefix: [execPath], shell: false };
  return process.platform === 'win32' ? { command: 'npm.cmd', prefix: [], shell: true } : { command: 'npm', prefix: [], shell: false };
}

/** Packs this installation of emishift (as `npm pack` would publish it) into `destination`; returns the file name. */
export function packEmishift(destination: string): string {
  const npm = findNpm();
  // --ignore-scripts: the package is already built (dist/), and its `prepare` needs the
  // repository's devDependencies, which an installed copy does not have.
  const result = spawnSync(npm.command, [...npm.prefix, 'pack', PACKAGE_ROOT, '--ignore-scripts', '--json', '--pack-destination', destination], {
    cwd: destination,
    encoding: 'utf8',
    shell: npm.shell,
    maxBuffer: 16 * 1024 * 1024,
  });
  const advice = 'or pass --emishift SPEC to depend on emishift some other way';
  if (result.error) throw new Error(`could not run npm to pack emishift into vendor/ (${result.error.message}); ${advice}`);
  if (result.status !== 0) {
    const last = (result.stderr || '').trim().split('\n').filter(Boolean).pop() ?? `exit code ${result.status}`;
    throw new Error(`npm pack failed while packing emishift into vendor/ (${last}); ${advice}`);
  }
  const packed = JSON.parse(result.stdout.slice(result.stdout.indexOf('['))) as { filename: string }[];
  const file = packed[0]?.filename;
  if (!file || !existsSync(join(destination, file))) throw new Error(`npm pack reported no tarball in ${destination}; ${advice}`);
  return file;
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const full = join(directory, entry.name);
      return entry.isDirectory() ? filesUnder(full) : [full];
    });
}

/** Builds the whole project in `staging` (an empty folder). Returns the emishift spec used. */
function buildProject(staging: string, name: string, options: NotebookProjectOptions): string {
  const { version } = ownManifest();
  let emishiftDependency = options.emishiftDependency;
  const vendored = emishiftDependency === undefined;
  if (vendored) {
    const vendor = join(staging, 'vendor');
    mkdirSync(vendor);
    emishiftDependency = `file:vendor/${packEmishift(vendor)}`;
  }
  const spec = emishiftDependency as string;
  writeFileSync(join(staging, 'package.json'), `${JSON.stringify(projectManifest(name, spec), null, 2)}\n`);
  const vendorRow = vendored
    ? `| \`${spec.slice('file:'.length)}\` | the emishift ${version} that ran \`emishift init\` (emishift is not on the npm registry); \`package.json\` depends on this file, so keep it with the project |`
    : '';
  const readme = render(readFileSync(join(TEMPLATES, 'README.md'), 'utf8'), { name, emishiftVersion: version, vendorRow });
  writeFileSync(join(staging, 'README.md'), readme);
  writeFileSync(join(staging, 'tsconfig.json'), readFileSync(join(TEMPLATES, 'tsconfig.json')));
  // npm never packs a file named .gitignore, so the template is stored without the dot.
  writeFileSync(join(staging, '.gitignore'), readFileSync(join(TEMPLATES, 'gitignore')));
  writeFileSync(join(staging, STARTER_NOTEBOOK), readFileSync(join(TEMPLATES, STARTER_NOTEBOOK)));
  for (const split of sampleShiftGrid({ seed: EXAMPLE_GRID_SEED })) writeSplitFolder(join(staging, ...EXAMPLE_GRID_FOLDER.split('/'), split.name), split);
  return spec;
}

function describeEntries(names: string[]): string {
  const shown = names.slice(0, 4).join(', ');
  return names.length > 4 ? `${shown}, … (${names.length} in all)` : shown;
}

/**
 * Writes a notebook project into `directory` (created when missing). Refuses, with an
 * InputError and nothing written, a folder that holds anything unless `force` is set, and even
 * with `force` any file the project would change.
 */
export function scaffoldNotebookProject(directory: string, options: NotebookProjectOptions = {}): NotebookProjectResult {
  const target = resolve(directory);
  if (existsSync(target)) {
    if (!statSync(target).isDirectory()) throw new InputError('is a file; give a new or empty folder for the project', { file: directory });
    const entries = readdirSync(target).sort();
    if (entries.length > 0 && !options.force) {
      throw new InputError(`is not empty (${describeEntries(entries)}); give a new or empty folder, or add --force to add the project beside these files (none is ever replaced)`, { file: directory });
    }
  }
  const staging = mkdtempSync(join(tmpdir(), 'emishift-init-'));
  try {
    const emishiftDependency = buildProject(staging, projectPackageName(target), options);
    const planned = filesUnder(staging).map((file) => relative(staging, file).split(sep).join('/'));
    const unchanged: string[] = [];
    const conflicts: string[] = [];
    for (const file of planned) {
      const destination = join(target, ...file.split('/'));
      if (!existsSync(destination)) continue;
      const same = statSync(destination).isFile() && readFileSync(destination).equals(readFileSync(join(staging, ...file.split('/'))));
      (same ? unchanged : conflicts).push(file);
    }
    if (conflicts.length > 0) {
      throw new InputError(`already holds ${conflicts.length === 1 ? 'a file' : `${conflicts.length} files`} the project would replace (${describeEntries(conflicts)}); move them away or give another folder (nothing was written)`, { file: directory });
    }
    const written: string[] = [];
    for (const file of planned) {
      if (unchanged.includes(file)) continue;
      writeFileAtomic(join(target, ...file.split('/')), readFileSync(join(staging, ...file.split('/'))));
      written.push(file);
    }
    return { directory: target, written, unchanged, emishiftDependency };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
