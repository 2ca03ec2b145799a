/**
 * `emishift init DIR`: the files of the scaffolded project and their contents, the refusals
 * (non-empty folder, files that would change), and the starter notebook executed through the
 * real tslab kernel against this repository's build (the project's `emishift` linked to the
 * repository instead of installed, since tests do not use the network).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { isInputError } from '../../src/errors';
import { EXAMPLE_GRID_FOLDER, projectPackageName, scaffoldNotebookProject, SKIPPED_INSTALL_SCRIPTS, STARTER_NOTEBOOK } from '../../src/scaffold/notebookProject';
import { listSplitFolders, readSplitFolder } from '../../src/data/splitDirectory';
import { ClubEstimator } from '../../src/estimators/club/clubEstimator';
import { sweepSplits, type SplitSource } from '../../src/sweep/sweep';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'bin', 'emishift.js');
const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  overrides: Record<string, string>;
};
const work = mkdtempSync(join(tmpdir(), 'emishift-init-test-'));
after(() => {
  // The executed project links node_modules/emishift to this repository: unlink it first.
  rmSync(join(work, 'executed', 'node_modules', 'emishift'), { force: true });
  rmSync(work, { recursive: true, force: true });
});

/** Every file under `directory`, as slash-separated paths relative to it. */
function filesUnder(directory: string): string[] {
  return listing(directory).filter((name) => !name.endsWith('/'));
}

function listing(directory: string): string[] {
  const walk = (folder: string): string[] =>
    readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
      const full = join(folder, entry.name);
      const name = relative(directory, full).split(sep).join('/');
      return entry.isDirectory() ? [`${name}/`, ...walk(full)] : [name];
    });
  return walk(directory).sort();
}

function emishift(args: string[], cwd = work) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec?: { name?: string; language?: string } };
  cells: { cell_type: string; id?: string; source: string | string[]; metadata: { tags?: string[] }; outputs?: { output_type: string; name?: string; text?: string | string[]; data?: Record<string, unknown> }[]; execution_count?: number | null }[];
}
const text = (value: string | string[] | undefined): string => (Array.isArray(value) ? value.join('') : (value ?? ''));

// One scaffold with the default source (this emishift packed into vendor/): npm pack runs once.
const vendoredDir = join(work, 'My Notebooks');
const vendored = scaffoldNotebookProject(vendoredDir);
const tarball = `vendor/emishift-${own.version}.tgz`;

test('init writes the project: package.json, tsconfig, README, .gitignore, the notebook, 12 splits, the packed emishift', () => {
  const expected = ['.gitignore', 'README.md', 'package.json', STARTER_NOTEBOOK, 'tsconfig.json', tarball];
  const files = filesUnder(vendoredDir);
  for (const file of expected) assert.ok(files.includes(file), `${file} written`);
  const splits = listSplitFolders(join(vendoredDir, EXAMPLE_GRID_FOLDER));
  assert.equal(splits.length, 12);
  assert.deepEqual(files.filter((file) => !expected.includes(file) && !file.startsWith(`${EXAMPLE_GRID_FOLDER}/`)), [], 'nothing else');
  assert.deepEqual([...vendored.written].sort(), [...files].sort(), 'the result lists what was written');
  assert.deepEqual(vendored.unchanged, []);
  assert.equal(vendored.emishiftDependency, `file:${tarball}`);
});

test("the example splits are the repository's data/shift-grid, byte for byte", () => {
  const shipped = join(ROOT, 'data', 'shift-grid');
  const scaffolded = join(vendoredDir, EXAMPLE_GRID_FOLDER);
  const names = filesUnder(shipped).sort();
  assert.deepEqual(filesUnder(scaffolded).sort(), names);
  for (const name of names) assert.ok(readFileSync(join(scaffolded, name)).equals(readFileSync(join(shipped, name))), name);
});

test('package.json: emishift from vendor/, danfojs-node with its overrides, tslab, optional ONNX Runtime with its install script skipped', () => {
  const manifest = JSON.parse(readFileSync(join(vendoredDir, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'my-notebooks');
  assert.equal(manifest.private, true);
  assert.deepEqual(manifest.dependencies, {
    'danfojs-node': own.peerDependencies['danfojs-node'],
    emishift: `file:${tarball}`,
    tslab: own.devDependencies.tslab,
  });
  assert.deepEqual(manifest.optionalDependencies, { 'onnxruntime-node': own.peerDependencies['onnxruntime-node'] });
  assert.deepEqual(manifest.overrides, own.overrides, "the overrides danfojs-node needs, as in emishift's own package.json");
  assert.deepEqual(manifest.allowScripts, Object.fromEntries(SKIPPED_INSTALL_SCRIPTS.map((name) => [name, false])));
  assert.deepEqual(Object.keys(manifest.allowScripts).sort(), ['core-js', 'onnxruntime-node', 'zeromq']);
  // npm run puts node_modules/.bin (the tslab command the kernel spec starts) on PATH.
  assert.equal(manifest.scripts.lab, 'jupyter lab');
  assert.match(manifest.scripts.execute, new RegExp(`^jupyter nbconvert --to notebook --execute --ExecutePreprocessor\\.kernel_name=tslab .*${STARTER_NOTEBOOK}$`));
  for (const name of ['preinstall', 'install', 'postinstall', 'prepare']) assert.equal(manifest.scripts[name], undefined);
});

test('the vendored tarball is this emishift as npm packs it', () => {
  const list = spawnSync('tar', ['-tzf', join(vendoredDir, tarball)], { encoding: 'utf8' });
  assert.equal(list.status, 0, list.stderr);
  const entries = list.stdout.trim().split('\n');
  for (const entry of ['package/package.json', 'package/bin/emishift.js', 'package/dist/src/index.js', 'package/dist/src/scaffold/notebookProject.js', `package/templates/notebook-project/${STARTER_NOTEBOOK}`]) {
    assert.ok(entries.includes(entry), entry);
  }
  assert.deepEqual(entries.filter((entry) => /^package\/(?:test|src|dist\/test|out|data)\//.test(entry)), []);
  const inner = spawnSync('tar', ['-xzOf', join(vendoredDir, tarball), 'package/package.json'], { encoding: 'utf8' });
  assert.equal(JSON.parse(inner.stdout).version, own.version);
});

test("tsconfig.json parses under tslab's TypeScript with the module settings tslab compiles cells with", () => {
  // tslab hard-codes its compiler options (module ESNext, node10 resolution, ES2022 on Node ≥ 18,
  // esModuleInterop); the project's tsconfig repeats them for editors and tsc.
  const ts = require(require.resolve('@tslab/typescript-for-tslab', { paths: [join(ROOT, 'node_modules', 'tslab')] })) as typeof import('typescript');
  const file = join(vendoredDir, 'tsconfig.json');
  const read = ts.readConfigFile(file, ts.sys.readFile);
  assert.equal(read.error, undefined);
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, vendoredDir);
  assert.deepEqual(parsed.errors.filter((error) => error.code !== 18003), [], 'no errors (18003, no .ts input yet, is expected)');
  assert.equal(parsed.options.moduleResolution, ts.ModuleResolutionKind.Node10);
  assert.equal(parsed.options.module, ts.ModuleKind.ESNext);
  assert.equal(parsed.options.target, ts.ScriptTarget.ES2022);
  assert.equal(parsed.options.esModuleInterop, true);
  assert.equal(parsed.options.skipLibCheck, true);
  assert.equal(parsed.options.noEmit, true);
});

test('the starter notebook: nbformat 4.5 for the tslab kernel, no outputs, the library calls the brief asks for', () => {
  const notebook = JSON.parse(readFileSync(join(vendoredDir, STARTER_NOTEBOOK), 'utf8')) as Notebook;
  assert.equal(notebook.nbformat, 4);
  assert.equal(notebook.nbformat_minor, 5);
  assert.equal(notebook.metadata.kernelspec?.name, 'tslab');
  assert.equal(notebook.metadata.kernelspec?.language, 'typescript');
  const ids = notebook.cells.map((cell) => cell.id);
  assert.equal(new Set(ids).size, ids.length, 'unique cell ids');
  for (const cell of notebook.cells) {
    assert.match(cell.id ?? '', /^[a-zA-Z0-9_-]{1,64}$/);
    if (cell.cell_type === 'code') {
      assert.deepEqual(cell.outputs, []);
      assert.equal(cell.execution_count, null);
    }
  }
  assert.match(text(notebook.cells[0].source), /^# \S/);
  const code = notebook.cells.filter((cell) => cell.cell_type === 'code').map((cell) => text(cell.source)).join('\n');
  assert.match(code, /from 'emishift'/);
  assert.match(code, /readSplitFolder\(/);
  assert.match(code, /const root = 'data\/shift-grid'/);
  assert.match(code, /ClubEstimator\.fit\(splits, 'small'\)/);
  for (const call of ['emid(', 'emidUpperBound(', 'sweepSplits(', 'show(emidBoundScatter(']) assert.ok(code.includes(call), call);
  const figures = notebook.cells.filter((cell) => (cell.metadata.tags ?? []).includes('figure'));
  assert.equal(figures.length, 1);
  assert.ok(text(figures[0].source).includes('show(emidBoundScatter('));
  const python = ['/usr/bin/python3', 'python3'].find((candidate) => spawnSync(candidate, ['-c', 'import nbformat'], { stdio: 'ignore' }).status === 0);
  if (python) {
    const check = spawnSync(python, ['-c', 'import sys, nbformat\nnbformat.validate(nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT))', join(vendoredDir, STARTER_NOTEBOOK)], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  }
});

test('README: the three commands, the npm 10 variant, the vendored tarball; every placeholder filled', () => {
  const readme = readFileSync(join(vendoredDir, 'README.md'), 'utf8');
  assert.match(readme, /^# my-notebooks\n/);
  assert.match(readme, /```sh\nnpm install +#[^\n]*\nnpx tslab install +#[^\n]*\nnpm run lab +#[^\n]*\n```/);
  assert.ok(readme.includes('ONNXRUNTIME_NODE_INSTALL=skip npm install'));
  assert.ok(readme.includes(`\`${tarball}\``));
  assert.ok(readme.includes(`emishift ${own.version}`));
  assert.doesNotMatch(readme, /\{\{|\}\}/);
  assert.doesNotMatch(readme, /\n\n\n/);
});

test('--emishift SPEC: package.json depends on SPEC and nothing is packed', () => {
  const directory = join(work, 'with-spec');
  const result = scaffoldNotebookProject(directory, { emishiftDependency: 'github:someone/emishift#v0.1.0' });
  assert.equal(result.emishiftDependency, 'github:someone/emishift#v0.1.0');
  assert.equal(JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')).dependencies.emishift, 'github:someone/emishift#v0.1.0');
  assert.ok(!existsSync(join(directory, 'vendor')));
  const readme = readFileSync(join(directory, 'README.md'), 'utf8');
  assert.doesNotMatch(readme, /vendor\//);
  assert.doesNotMatch(readme, /\n\n\n/);
});

test('project names: folder names become valid npm names', () => {
  assert.equal(projectPackageName('/x/My Notebooks'), 'my-notebooks');
  assert.equal(projectPackageName('/x/_Shift Study (2026)'), 'shift-study-2026');
  assert.equal(projectPackageName('/x/!!!'), 'emishift-notebooks');
});

test('a non-empty folder is refused (exit 2, one line naming the folder), and nothing is written', () => {
  const directory = join(work, 'occupied');
  mkdirSync(directory);
  writeFileSync(join(directory, 'notes.txt'), 'mine\n');
  const before = listing(directory);
  const run = emishift(['init', directory, '--emishift', '^0.1.0']);
  assert.equal(run.code, 2, run.stderr);
  assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
  assert.ok(run.stderr.startsWith(`emishift init: ${directory}: is not empty (notes.txt); `), run.stderr);
  assert.match(run.stderr, /--force/);
  assert.deepEqual(listing(directory), before);
  assert.equal(readFileSync(join(directory, 'notes.txt'), 'utf8'), 'mine\n');
});

test('--force adds the project beside existing files, but never replaces one (exit 2, nothing written)', () => {
  const directory = join(work, 'forced');
  mkdirSync(directory);
  writeFileSync(join(directory, 'notes.txt'), 'mine\n');
  const added = emishift(['init', directory, '--force', '--emishift', '^0.1.0']);
  assert.equal(added.code, 0, added.stderr);
  assert.equal(readFileSync(join(directory, 'notes.txt'), 'utf8'), 'mine\n');
  assert.ok(existsSync(join(directory, STARTER_NOTEBOOK)));

  const clashing = join(work, 'clashing');
  mkdirSync(clashing);
  writeFileSync(join(clashing, 'package.json'), '{ "name": "mine" }\n');
  writeFileSync(join(clashing, 'README.md'), '# mine\n');
  const before = listing(clashing);
  const refused = emishift(['init', clashing, '--force', '--emishift', '^0.1.0']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.equal(refused.stderr.trim().split('\n').length, 1);
  assert.match(refused.stderr, /already holds 2 files the project would replace \(package\.json, README\.md\); .*nothing was written/);
  assert.deepEqual(listing(clashing), before, 'no file added');
  assert.equal(readFileSync(join(clashing, 'package.json'), 'utf8'), '{ "name": "mine" }\n');
});

test('init --force again on an unchanged project rewrites nothing (the packed tarball is reproducible)', () => {
  const again = scaffoldNotebookProject(vendoredDir, { force: true });
  assert.deepEqual(again.written, []);
  assert.deepEqual([...again.unchanged].sort(), filesUnder(vendoredDir).sort());
});

test('init refuses a file, a missing or second folder argument, and lists itself in --help', () => {
  const file = join(work, 'a-file');
  writeFileSync(file, '');
  const onFile = emishift(['init', file]);
  assert.equal(onFile.code, 2);
  assert.match(onFile.stderr, /^emishift init: .*a-file: is a file; give a new or empty folder for the project\n$/);
  const none = emishift(['init']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /expected one folder, got none/);
  const two = emishift(['init', 'a', 'b']);
  assert.equal(two.code, 2);
  assert.match(two.stderr, /expected one folder, got a b/);
  const unknown = emishift(['init', 'x', '--colour']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /--colour/);
  const help = emishift(['init', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: emishift init DIR \[--emishift SPEC\] \[--force\] \[--json\]/);
  assert.match(emishift(['--help']).stdout, /\n {2}init {4}make a notebook project/);
});

test('init prints what it wrote and the three commands to run next', () => {
  const run = emishift(['init', 'printed', '--emishift', '^0.1.0']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^wrote printed\/: \.gitignore, package\.json, quickstart\.ipynb, README\.md, tsconfig\.json, data\/shift-grid\/ \(12 splits\)\n/);
  assert.match(run.stdout, /\n {2}cd printed\n {2}npm install .*\n {2}npx tslab install .*\n {2}npm run lab .*\n$/);
  const json = emishift(['init', 'printed-json', '--emishift', '^0.1.0', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.emishiftDependency, '^0.1.0');
  assert.ok(parsed.written.includes('package.json'));
});

test('the library refusal is a typed InputError', () => {
  assert.throws(
    () => scaffoldNotebookProject(vendoredDir),
    (error) => isInputError(error) && /is not empty/.test(error.message),
  );
});

// ---------------------------------------------------------------------------------------------
// The starter notebook, executed through the real tslab kernel

const PLOTLY_MIME = 'application/vnd.plotly.v1+json';

/** A Python that can register a kernel (imports jupyter_client), and a working nbconvert; or why not. */
function notebookEnvironment(): { python: string; jupyter: string } | string {
  const jupyter = process.env.EMISHIFT_JUPYTER || 'jupyter';
  const nbconvert = spawnSync(jupyter, ['nbconvert', '--version'], { encoding: 'utf8' });
  if (nbconvert.error || nbconvert.status !== 0) return "jupyter nbconvert is not available (bash scripts/setup-notebook-env.sh installs it)";
  const python = ['python3', '/usr/bin/python3'].find((candidate) => spawnSync(candidate, ['-c', 'import jupyter_client'], { stdio: 'ignore' }).status === 0);
  if (!python) return 'no python3 imports jupyter_client (bash scripts/setup-notebook-env.sh installs python3-ipykernel)';
  if (!existsSync(join(ROOT, 'node_modules', '.bin', 'tslab'))) return "node_modules/.bin/tslab is missing; run 'npm ci'";
  return { python, jupyter };
}

test('the starter notebook executes headless through tslab and shows the EMID-vs-bound figure with the library\'s numbers', async (t) => {
  const environment = notebookEnvironment();
  if (typeof environment === 'string') return t.skip(environment);
  const directory = join(work, 'executed');
  scaffoldNotebookProject(directory, { emishiftDependency: `file:${ROOT}` });
  // What `npm install` would do for emishift, without the network: node_modules/emishift is this
  // repository (tslab's node10 resolution and Node's require both find it there).
  mkdirSync(join(directory, 'node_modules'));
  symlinkSync(ROOT, join(directory, 'node_modules', 'emishift'), 'dir');
  // The README's `npx tslab install`, into a private prefix rather than the user's Jupyter.
  const kernels = join(work, 'jupyter');
  const install = spawnSync(join(ROOT, 'node_modules', '.bin', 'tslab'), ['install', `--python=${environment.python}`, `--prefix=${kernels}`], { encoding: 'utf8' });
  assert.equal(install.status, 0, install.stderr);
  const env = {
    ...process.env,
    JUPYTER_PATH: join(kernels, 'share', 'jupyter'),
    PATH: `${join(ROOT, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
  };
  const run = spawnSync(environment.jupyter, ['nbconvert', '--to', 'notebook', '--execute', '--ExecutePreprocessor.timeout=180', '--ExecutePreprocessor.kernel_name=tslab', '--output-dir', 'out', STARTER_NOTEBOOK], {
    cwd: directory,
    env,
    encoding: 'utf8',
    timeout: 10 * 60 * 1000,
  });
  assert.equal(run.status, 0, `nbconvert exited with ${run.status ?? run.signal}:\n${run.stderr.slice(-3000)}`);
  const executed = JSON.parse(readFileSync(join(directory, 'out', STARTER_NOTEBOOK), 'utf8')) as Notebook;
  const code = executed.cells.filter((cell) => cell.cell_type === 'code');
  code.forEach((cell, index) => {
    // (tslab leaves execution_count null, so "it ran" is read from the outputs: every cell after the imports shows something.)
    if (index > 0) assert.ok((cell.outputs ?? []).length > 0, `code cell ${index + 1} shows no output`);
    for (const output of cell.outputs ?? []) {
      assert.notEqual(output.output_type, 'error', `code cell ${index + 1}: ${JSON.stringify(output).slice(0, 400)}`);
      if (output.output_type === 'stream') assert.notEqual(output.name, 'stderr', `code cell ${index + 1} wrote to stderr: ${text(output.text).slice(0, 400)}`);
    }
  });
  const figure = code.find((cell) => (cell.metadata.tags ?? []).includes('figure'))!;
  const bundles = (figure.outputs ?? []).filter((output) => output.output_type === 'display_data' && output.data?.[PLOTLY_MIME] !== undefined);
  assert.equal(bundles.length, 1, 'one Plotly figure');
  const traces = (bundles[0].data![PLOTLY_MIME] as { data: { mode?: string; x?: unknown[] }[] }).data;
  const markers = traces.filter((trace) => (trace.mode ?? '').includes('markers')).reduce((total, trace) => total + (trace.x?.length ?? 0), 0);
  assert.equal(markers, 11, 'one marker per shifted split');

  // The same computation through the library in this process: the notebook prints its numbers.
  const root = join(directory, EXAMPLE_GRID_FOLDER);
  const folders = listSplitFolders(root);
  const club = await ClubEstimator.fit(folders.map(({ name, directory: folder }) => readSplitFolder(folder, name)), 'small');
  const sources: SplitSource[] = folders.map(({ name, directory: folder }) => ({ name, load: () => readSplitFolder(folder, name) }));
  const sweep = await sweepSplits(sources.find((source) => source.name === 'image0_question0')!, sources.filter((source) => source.name !== 'image0_question0'), club, { warn: () => {} });
  const printed = (figure.outputs ?? []).filter((output) => output.output_type === 'stream').map((output) => text(output.text)).join('');
  assert.ok(printed.includes(`Pearson r = ${sweep.correlation!.pearson.r.toFixed(3)} `), `notebook printed: ${printed}`);
});
