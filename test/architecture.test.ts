/**
 * The layering of src/ that ARCHITECTURE.md describes: data flows one way, io/math →
 * linalg/backend/stats → data/samplers → shifts/embed/serve → estimators → emi/bound/significance → sweep → plots/report →
 * benchmark → pipeline → scaffold → cli, and a folder imports only its own modules, the root
 * modules (errors, interface, random, …) and folders before it (or beside it, without a cycle). Imports are read with TypeScript's own pre-processor, so `import
 * type`, `export … from`, `import()` and `require()` all count.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

const SRC = join(__dirname, '..', '..', 'src');

/** Folders in data-flow order; folders in one group are at the same stage. */
const LAYERS: readonly (readonly string[])[] = [
  ['io', 'math'],
  ['linalg', 'backend', 'stats'],
  ['data', 'samplers'],
  ['shifts', 'embed', 'serve'],
  ['estimators'],
  ['emi', 'bound', 'drift', 'significance'],
  ['sweep', 'monitor'],
  ['plots', 'report'],
  ['benchmark'],
  ['pipeline'],
  ['scaffold'],
  ['cli'],
];

/** Modules at the root of src/ that any stage may use; they import no folder. */
const ROOT = '(root)';
/** The public surface imports from everywhere, by design. */
const PUBLIC_SURFACE = 'index.ts';

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The src file a relative specifier names, or undefined for a package or a file outside src. */
function resolveImport(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (candidate.startsWith(SRC + sep) && existsSync(candidate) && statSync(candidate).isFile() && candidate.endsWith('.ts')) return candidate;
  }
  return undefined;
}

function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : ROOT;
}

interface Edge {
  from: string;
  to: string;
}

function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imported of importedFiles) {
      const target = resolveImport(file, imported.fileName);
      if (target) edges.push({ from: file, to: target });
    }
  }
  return edges;
}

const edges = importEdges();
const layerOf = new Map(LAYERS.flatMap((group, index) => group.map((folder) => [folder, index] as const)));
const name = (file: string) => relative(SRC, file).split(sep).join('/');

/** Strongly connected components with more than one member (Tarjan). */
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string): void => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

test('every folder of src/ has a place in the data-flow order', () => {
  const folders = new Set(sourceFiles(SRC).map(folderOf));
  folders.delete(ROOT);
  const unplaced = [...folders].filter((folder) => !layerOf.has(folder));
  assert.deepEqual(unplaced, [], `folders missing from LAYERS in test/architecture.test.ts: ${unplaced.join(', ')}`);
  assert.ok(edges.length > 300, `only ${edges.length} imports found: the parser is not reading them`);
});

test('no cycle between folders', () => {
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (name(from) === PUBLIC_SURFACE) continue;
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  assert.deepEqual(cycles(graph), []);
});

/** Imports that go against the data flow (or out of a root module), as readable lines. */
function layerViolations(list: readonly Edge[]): string[] {
  const violations: string[] = [];
  for (const { from, to } of list) {
    if (name(from) === PUBLIC_SURFACE) continue;
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b || b === ROOT) continue;
    if (a === ROOT) {
      violations.push(`${name(from)} (a root module) imports ${name(to)}`);
      continue;
    }
    if ((layerOf.get(b) ?? Infinity) > (layerOf.get(a) ?? -Infinity)) violations.push(`${name(from)} (${a}) imports ${name(to)} (${b}, later in the data flow)`);
  }
  return violations;
}

test('a folder imports only its own modules, root modules and folders before it', () => {
  assert.deepEqual(layerViolations(edges), []);
  // The rule itself: backward and same-folder imports pass, forward ones and root → folder do not.
  const at = (path: string) => join(SRC, ...path.split('/'));
  const sample: Edge[] = [
    { from: at('sweep/sweep.ts'), to: at('bound/rjsd.ts') },
    { from: at('bound/rjsd.ts'), to: at('bound/embeddingMoments.ts') },
    { from: at('backend/onnx/gram.ts'), to: at('estimators/club/clubModel.ts') },
    { from: at('errors.ts'), to: at('io/npy.ts') },
  ];
  assert.deepEqual(layerViolations(sample), [
    'backend/onnx/gram.ts (backend) imports estimators/club/clubModel.ts (estimators, later in the data flow)',
    'errors.ts (a root module) imports io/npy.ts',
  ]);
});

test('interface.ts imports nothing; stats/ is generic; backend/ knows no estimator', () => {
  const from = (folderOrFile: string) => edges.filter((edge) => name(edge.from) === folderOrFile || folderOf(edge.from) === folderOrFile);
  assert.deepEqual(from('interface.ts').map((edge) => name(edge.to)), []);
  const statsImports = from('stats').filter((edge) => ['emi', 'estimators', 'bound', 'sweep', 'data'].includes(folderOf(edge.to)));
  assert.deepEqual(statsImports.map((edge) => `${name(edge.from)} → ${name(edge.to)}`), []);
  const backendImports = from('backend').filter((edge) => folderOf(edge.to) === 'estimators');
  assert.deepEqual(backendImports.map((edge) => `${name(edge.from)} → ${name(edge.to)}`), []);
});

test("outside estimators/, an estimator is reached only through estimators/index.ts or its own folder's index.ts", () => {
  const estimatorsFolder = join(SRC, 'estimators');
  // estimators/index.ts, or estimators/NAME/index.ts (one estimator's surface, e.g. CLUB alone for a command that applies a CLUB file)
  const isSurface = (file: string) => basename(file) === 'index.ts' && relative(estimatorsFolder, file).split(sep).length <= 2;
  const reachingIn = edges.filter((edge) => folderOf(edge.to) === 'estimators' && folderOf(edge.from) !== 'estimators' && !isSurface(edge.to));
  assert.deepEqual(reachingIn.map((edge) => `${name(edge.from)} → ${name(edge.to)}`), []);
});

test('the cycle check finds a cycle when there is one', () => {
  const graph = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
    ['d', new Set(['a'])],
  ]);
  assert.deepEqual(cycles(graph), [['a', 'b', 'c']]);
  assert.deepEqual(cycles(new Map([['a', new Set(['b'])], ['b', new Set<string>()]])), []);
});
