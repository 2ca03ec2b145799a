#!/usr/bin/env node
/**
 * Executes the notebooks headless through the real tslab kernel (`jupyter nbconvert --execute`)
 * and writes each executed notebook and its HTML export under out/notebooks/.
 *
 *   node scripts/run-notebooks.js [--timeout SECONDS] [--out DIR] [NAME ...]
 *
 * NAME selects notebooks by file name with or without `.ipynb` (default: every notebook in
 * notebooks/). Exit code 0 when every cell of every notebook ran, 1 on any failure (each named
 * with its notebook and cell), 2 for bad arguments or a missing environment.
 *
 * Prerequisites: `npm run build` (the notebooks import dist/ through the package name) and
 * `bash scripts/setup-notebook-env.sh` (nbconvert, the tslab kernel spec, the self link).
 *
 * Also a module: the notebook tests use `environmentProblem`, `fingerprint` and `readManifest`
 * to decide whether the executed notebooks in out/ are current.
 */
'use strict';

const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const NOTEBOOKS = path.join(ROOT, 'notebooks');
const DEFAULT_OUT = path.join(ROOT, 'out', 'notebooks');
const BIN = path.join(ROOT, 'node_modules', '.bin');
const MANIFEST = 'manifest.json';
const DEFAULT_TIMEOUT_SECONDS = 180;
// Environment variables the notebooks read: a change of value makes earlier outputs stale.
const INPUT_VARIABLES = ['EMISHIFT_DATA'];

function jupyterCommand() {
  return process.env.EMISHIFT_JUPYTER || 'jupyter';
}

function kernelEnvironment() {
  // The kernel spec starts the bare command `tslab`: it must be found in this checkout.
  return { ...process.env, PATH: `${BIN}${path.delimiter}${process.env.PATH ?? ''}` };
}

function listNotebooks() {
  return fs
    .readdirSync(NOTEBOOKS)
    .filter((name) => name.endsWith('.ipynb') && !name.startsWith('.'))
    .sort()
    .map((name) => path.join(NOTEBOOKS, name));
}

/** Why notebooks cannot be executed here, or undefined when they can. */
function environmentProblem() {
  const setup = "run 'bash scripts/setup-notebook-env.sh'";
  const version = spawnSync(jupyterCommand(), ['nbconvert', '--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0) {
    return `jupyter nbconvert is not available (${version.error ? version.error.message : (version.stderr || '').trim().split('\n').pop()}); ${setup}`;
  }
  const paths = spawnSync(jupyterCommand(), ['--paths', '--json'], { encoding: 'utf8' });
  let dataDirs = [];
  try {
    dataDirs = JSON.parse(paths.stdout).data;
  } catch {
    return `could not read Jupyter's data paths (jupyter --paths --json): ${(paths.stderr || '').trim()}`;
  }
  if (!dataDirs.some((dir) => fs.existsSync(path.join(dir, 'kernels', 'tslab', 'kernel.json')))) {
    return `the tslab kernel is not registered with Jupyter (looked in ${dataDirs.map((dir) => path.join(dir, 'kernels')).join(', ')}); ${setup}`;
  }
  if (!fs.existsSync(path.join(BIN, 'tslab'))) return `node_modules/.bin/tslab is missing; run 'npm ci'`;
  // What tslab's type checker needs (node10 resolution: a node_modules entry, not the package's
  // `exports` self-reference, which only Node's runtime resolver honours).
  const linked = path.join(ROOT, 'node_modules', 'emishift', 'package.json');
  if (!fs.existsSync(linked) || fs.realpathSync(linked) !== fs.realpathSync(path.join(ROOT, 'package.json'))) {
    return `'emishift' does not resolve from notebooks/ through node_modules (node_modules/emishift -> .. is missing); ${setup}`;
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'index.js'))) return "dist/ is not built; run 'npm run build'";
  return undefined;
}

function filesUnder(directory) {
  if (!fs.existsSync(directory)) return [];
  return fs.readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.name.endsWith('.js') ? [full] : [];
  });
}

let libraryHash;
/** Hash of the compiled library the notebooks import (content, not mtimes: every build rewrites dist/). */
function libraryFingerprint() {
  if (libraryHash) return libraryHash;
  const hash = createHash('sha256');
  for (const file of filesUnder(path.join(ROOT, 'dist', 'src')).sort()) {
    hash.update(path.relative(ROOT, file));
    hash.update('\0');
    hash.update(fs.readFileSync(file));
    hash.update('\0');
  }
  libraryHash = hash.digest('hex');
  return libraryHash;
}

/** What an executed notebook depends on: its source, the library, the data-location variables. */
function fingerprint(notebookFile) {
  const hash = createHash('sha256');
  hash.update(fs.readFileSync(notebookFile));
  hash.update(libraryFingerprint());
  for (const name of INPUT_VARIABLES) hash.update(`\0${name}=${process.env[name] ?? ''}`);
  return hash.digest('hex');
}

/** The library's atomic write, loaded on use: dist/ is checked for before anything is written. */
function writeFileAtomic(file, contents) {
  require('../dist/src/io/atomicWrite').writeFileAtomic(file, contents);
}

function readManifest(outDir = DEFAULT_OUT) {
  try {
    return JSON.parse(fs.readFileSync(path.join(outDir, MANIFEST), 'utf8'));
  } catch {
    return { notebooks: {} };
  }
}

function writeManifest(outDir, manifest) {
  const file = path.join(outDir, MANIFEST);
  writeFileAtomic(file, `${JSON.stringify(manifest, null, 2)}\n`);
}

function cellSources(notebookFile) {
  const notebook = JSON.parse(fs.readFileSync(notebookFile, 'utf8'));
  return notebook.cells.map((cell) => ({ type: cell.cell_type, source: Array.isArray(cell.source) ? cell.source.join('') : cell.source }));
}

/**
 * The cell nbclient complained about. Its message quotes the whole source of a failing cell
 * between dashed lines, and the first and last lines of a cell that timed out.
 */
function locateFailingCell(notebookFile, stderr) {
  const cells = cellSources(notebookFile);
  const quoted = /executing the following cell:\n-{10,}\n([\s\S]*?)\n-{10,}\n/.exec(stderr);
  if (quoted) {
    const index = cells.findIndex((cell) => cell.type === 'code' && cell.source.trim() === quoted[1].trim());
    if (index >= 0) return { index, kind: 'error' };
  }
  const preview = /timed out[\s\S]*?preview of the cell contents:\n-{10,}\n([\s\S]*?)\n-{10,}/.exec(stderr);
  if (preview) {
    // Up to 10 lines the preview is the source; longer cells appear as a Python list repr of
    // their first five lines, whose first element is enough to find the cell.
    const text = preview[1].trim();
    let index = cells.findIndex((cell) => cell.type === 'code' && cell.source.trim() === text);
    const firstLine = /^\[(['"])(.*?)\1[,\]]/.exec(text);
    if (index < 0 && firstLine) index = cells.findIndex((cell) => cell.type === 'code' && cell.source.trim().startsWith(firstLine[2].replace(/\\(['"\\])/g, '$1')));
    return { index, kind: 'timeout' };
  }
  return { index: -1, kind: /timed out/i.test(stderr) ? 'timeout' : 'error' };
}

/** What tslab wrote to stderr for a cell (its compile errors and stack traces go there). */
function cellStderr(executedFile, index) {
  try {
    const cell = JSON.parse(fs.readFileSync(executedFile, 'utf8')).cells[index];
    return cell.outputs
      .filter((output) => output.output_type === 'error' || (output.output_type === 'stream' && output.name === 'stderr'))
      .map((output) => (output.output_type === 'error' ? `${output.ename}: ${output.evalue}` : [].concat(output.text).join('')))
      .join('')
      .trim();
  } catch {
    return '';
  }
}

function nbconvert(args, options) {
  return spawnSync(jupyterCommand(), ['nbconvert', ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...options });
}

function removeOutputs(outDir, stem) {
  for (const suffix of ['.ipynb', '.html', '.failed.ipynb']) fs.rmSync(path.join(outDir, stem + suffix), { force: true });
}

/**
 * Gives the executed code cells their execution counts, 1, 2, 3, … in order. nbclient takes the
 * count from the kernel's `execute_input` message, which tslab never sends, so every cell would
 * read `In [ ]:`; nbconvert runs the cells top to bottom, one each, so the order is the count.
 */
function numberExecutedCells(file) {
  const notebook = JSON.parse(fs.readFileSync(file, 'utf8'));
  let count = 0;
  for (const cell of notebook.cells) {
    if (cell.cell_type !== 'code') continue;
    count += 1;
    cell.execution_count = count;
    for (const output of cell.outputs ?? []) if (output.output_type === 'execute_result') output.execution_count = count;
  }
  writeFileAtomic(file, `${JSON.stringify(notebook, null, 1)}\n`);
}

function runNotebook(notebookFile, { outDir, timeout }) {
  const name = path.basename(notebookFile);
  const stem = name.replace(/\.ipynb$/, '');
  removeOutputs(outDir, stem);
  const started = Date.now();
  // cwd notebooks/: nbconvert starts the kernel in the input's folder, so relative paths in
  // the notebooks (../data/shift-grid) mean the same as when a user opens them in Jupyter.
  const execute = nbconvert(
    ['--to', 'notebook', '--execute', `--ExecutePreprocessor.timeout=${timeout}`, '--ExecutePreprocessor.kernel_name=tslab', '--output-dir', outDir, '--output', stem, name],
    { cwd: NOTEBOOKS, env: kernelEnvironment() },
  );
  const seconds = (Date.now() - started) / 1000;
  if (execute.error || execute.status !== 0) {
    const stderr = `${execute.stderr ?? ''}${execute.error ? execute.error.message : ''}`;
    const { index, kind } = locateFailingCell(notebookFile, stderr);
    let detail = '';
    if (kind !== 'timeout') {
      // nbclient stops at the failing cell without writing anything, and tslab reports compile
      // errors and stack traces on stderr rather than as an error output: a second run that
      // keeps going writes the notebook with that text in the failing cell.
      const failed = path.join(outDir, `${stem}.failed.ipynb`);
      nbconvert(['--to', 'notebook', '--execute', '--allow-errors', `--ExecutePreprocessor.timeout=${timeout}`, '--ExecutePreprocessor.kernel_name=tslab', '--output-dir', outDir, '--output', `${stem}.failed`, name], {
        cwd: NOTEBOOKS,
        env: kernelEnvironment(),
      });
      if (index >= 0) detail = cellStderr(failed, index);
    }
    if (!detail) detail = stderr.trim().split('\n').slice(-12).join('\n');
    const cells = cellSources(notebookFile);
    const where = index >= 0 ? `cell ${index + 1} of ${cells.length} (${cells[index].source.split('\n')[0].slice(0, 80)})` : 'an unidentified cell';
    return { name, ok: false, seconds, message: `${name}: ${kind === 'timeout' ? `timed out after ${timeout} s in` : 'error in'} ${where}\n${indent(detail)}` };
  }
  const executed = path.join(outDir, `${stem}.ipynb`);
  numberExecutedCells(executed);
  const html = nbconvert(['--to', 'html', '--output-dir', outDir, '--output', stem, executed], { cwd: outDir });
  if (html.error || html.status !== 0) {
    return { name, ok: false, seconds, message: `${name}: executed, but the HTML export failed\n${indent((html.stderr || String(html.error)).trim().split('\n').slice(-8).join('\n'))}` };
  }
  return { name, ok: true, seconds };
}

function indent(text) {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

function parseArgs(argv) {
  const options = { outDir: DEFAULT_OUT, timeout: Number(process.env.EMISHIFT_NOTEBOOK_TIMEOUT || DEFAULT_TIMEOUT_SECONDS), names: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--timeout') options.timeout = Number(argv[++i]);
    else if (arg === '--out') options.outDir = path.resolve(argv[++i] ?? '');
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else options.names.push(arg.replace(/\.ipynb$/, ''));
  }
  if (!(options.timeout > 0)) throw new Error('--timeout takes a positive number of seconds per cell');
  return options;
}

function main(argv) {
  let options;
  try {
    options = parseArgs(argv);
  } catch (error) {
    console.error(`run-notebooks: ${error.message}`);
    return 2;
  }
  if (options.help) {
    console.log('Usage: node scripts/run-notebooks.js [--timeout SECONDS] [--out DIR] [NAME ...]');
    return 0;
  }
  const problem = environmentProblem();
  if (problem) {
    console.error(`run-notebooks: ${problem}`);
    return 2;
  }
  const all = listNotebooks();
  const selected = options.names.length ? all.filter((file) => options.names.includes(path.basename(file, '.ipynb'))) : all;
  const unknown = options.names.filter((name) => !all.some((file) => path.basename(file, '.ipynb') === name));
  if (unknown.length) {
    console.error(`run-notebooks: no notebook named ${unknown.join(', ')} in notebooks/ (have: ${all.map((file) => path.basename(file)).join(', ')})`);
    return 2;
  }
  fs.mkdirSync(options.outDir, { recursive: true });
  const manifest = readManifest(options.outDir);
  const started = Date.now();
  const results = [];
  for (const file of selected) {
    const key = path.basename(file);
    const print = fingerprint(file);
    process.stdout.write(`run-notebooks: ${key} … `);
    const result = runNotebook(file, options);
    results.push(result);
    console.log(result.ok ? `ok (${result.seconds.toFixed(1)} s)` : `FAILED (${result.seconds.toFixed(1)} s)`);
    if (result.ok) manifest.notebooks[key] = { fingerprint: print, seconds: result.seconds, executedAt: new Date().toISOString() };
    else delete manifest.notebooks[key];
    writeManifest(options.outDir, manifest);
  }
  const failed = results.filter((result) => !result.ok);
  const total = ((Date.now() - started) / 1000).toFixed(1);
  for (const result of failed) console.error(`\n${result.message}`);
  console.log(`\nrun-notebooks: ${results.length - failed.length} of ${results.length} notebooks ran without error in ${total} s; outputs in ${path.relative(process.cwd(), options.outDir) || '.'}`);
  return failed.length ? 1 : 0;
}

module.exports = {
  numberExecutedCells,
  environmentProblem,
  fingerprint,
  readManifest,
  listNotebooks,
  DEFAULT_OUT,
  NOTEBOOKS,
  ROOT,
};

if (require.main === module) process.exitCode = main(process.argv.slice(2));
