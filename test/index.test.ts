/**
 * The public API, pinned: the sorted runtime names of the package entry (`emishift`) and of its
 * one subpath (`emishift/benchmark`). Adding, renaming or removing a public name fails here until
 * the list below is changed with it, so every change to the API is a deliberate one. Every
 * exported name must also carry a doc comment (what an editor shows on hover): values,
 * constants included, and types (interfaces and type aliases), which the list does not pin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

const PUBLIC_NAMES: Record<string, string[]> = {
  'src/index.ts': [
    'AUTHORS_CHECKPOINT_SHA256', 'CLUB_PRESETS', 'ChatClient', 'ChatRequestError', 'ClubEstimator', 'ConnectionFailuresError', 'EMISHIFT_VERSION', 'InputError',
    'NEURAL_DEFAULTS', 'NEURAL_ESTIMATOR_NAMES', 'NO_SHIFT', 'NeuralEstimator', 'OptionalPeerError', 'PAPER_SPACE', 'RunFailuresError', 'RunStoppedError', 'SHIFT_FAMILIES', 'SpaceMismatchError',
    'bootstrapCorrelation', 'bootstrapInterval', 'boundDecomposition', 'boundSeverityCurves', 'buildReport', 'cacheDirectory', 'collectResponses', 'comparePair',
    'createEmbedder', 'createEmiEstimator', 'createNeuralEstimator', 'createRng', 'defineEstimator', 'describeEstimator', 'describeShift', 'describeSpace', 'embed', 'embedSplit', 'emi', 'emiInterval', 'emiVersusQuality', 'emiVersusRp',
    'emid', 'emidBoundScatter', 'emidInterval', 'emidUpperBound', 'emidUpperBoundInterval', 'estimatorValidation', 'exportFigureImage', 'fetchToCache',
    'figuresFromResults', 'fromResultsJson', 'gaussianClubValue', 'gaussianMutualInformation', 'idScenario', 'isInputError', 'isOptionalPeerError',
    'joinResponses', 'judgeSplit', 'kendallTauB', 'mannWhitneyU', 'rocAuc', 'listSplitFolders', 'readSplitTable', 'readSplitDataFrame', 'matrixFromRows', 'pearson', 'readJudgeScores',
    'parseJobConfig', 'readJobConfig', 'readNpy', 'readNpyMatrix', 'readRelativePreferences', 'readResults', 'readPairedNpyMatrices', 'readSplitFolder', 'readSplitFolders', 'readSplitManifest', 'readSplitReference', 'relativePreference',
    'relativePreferenceQuality', 'resolveSplitFile', 'rjsd', 'rjsdPropertyChecks', 'runFromConfig', 'runJob', 'runShiftBenchmark', 'sampleGaussianPairs', 'sampleGaussianRows',
    'sampleShiftGrid', 'scenario', 'scenarioNames', 'scenarioShift', 'scenarios', 'selectRows', 'shiftFamilyLabel', 'show', 'showTable', 'spaceMismatch',
    'spearman', 'summarizeJob', 'summarizeResults', 'sweepSplitFolders', 'sweepSplits', 'toDataFrame', 'toPairJson', 'toResultsJson', 'trainingCurve', 'validationBiasFigure', 'validationScatterFigure', 'validateEmbeddingSet', 'manifestDigest',
    'withQuality', 'writeNpy', 'writeNpyMatrix', 'writeResults', 'writeSplitFolder',
    'driftBaselines', 'meanCosineDistance', 'mmdTest', 'emidTracking', 'emidTrackingCorrelations',
    'PretrainedImageEmbedder', 'textLanguageCheck',
    'EmbeddingCache',
    'ESTIMATOR_ENTRIES', 'GROUND_TRUTH_TASKS', 'buildValidationReport', 'createRegisteredEstimator', 'estimatorEntry', 'findGroundTruthTask', 'gaussianEstimator', 'ksg2Estimator',
    'ksgEstimator', 'multivariateNormalSampler', 'studentTSampler', 'toValidationJson', 'transformedSampler', 'validateEstimators',
    'averagePrecision', 'detectShift', 'detectShiftBySubsets', 'detectionMetrics', 'joinPointwiseText', 'mostHurtQueries', 'pointwiseEmi', 'pointwiseEmiFrame', 'subsetPairTest', 'toDetectionJson', 'toPointwiseJson',
    'PERMUTATION_STATISTICS', 'PermutationCache', 'benjaminiHochberg', 'permutationTest',
    'createPrincipalBlockPool', 'inThreadPrincipalBlockSolver', 'PrincipalBlockBase',
    'ALERT_ADJUSTMENTS', 'monitorStream', 'monitorToLog', 'monitorTimeSeries', 'readMonitorLog', 'readStream',
    'RELATIVE_PREFERENCE_METHODS', 'SHIFT_MODALITY_SELECTIONS', 'selectSplitsByShiftModality', 'seededRows', 'subsetEmbeddingSet',
  ],
  'src/benchmark/index.ts': [
    'AnsweringModel', 'EmbeddingAnsweringModel', 'decodeEmbeddingAnsweringModel', 'encodeEmbeddingAnsweringModel', 'trainEmbeddingAnsweringModel', 'BACKGROUND_COLOURS', 'COLOURS', 'IMAGE_SHIFT_NAMES', 'MAX_IMAGE_SEVERITY', 'QUERY_KINDS', 'SHAPES', 'SIZES', 'TEXTURES', 'TEXT_SHIFT_MAX_SEVERITY',
    'TEXT_SHIFT_NAMES', 'answerSentence', 'applyImageShift', 'applyTextShift', 'askQuestion', 'contrast', 'defaultShiftGrid', 'defocusBlur', 'frost',
    'gaussianNoise', 'generateQueries', 'generateScene', 'keyboardTypos', 'loadAnsweringModel', 'readBenchmarkData', 'renderScene', 'saveAnsweringModel',
    'encodeScenePng', 'shiftedQueries', 'slotAccuracy', 'splitName', 'synonymReplacement', 'trainAnsweringModel', 'wordOrderNoise', 'writeBenchmarkData',
    'ANSWER_SHIFT_NAMES', 'ANSWER_SWAP_RATES', 'answerSwapGrid', 'answerSwapSet', 'answerSwapSources', 'answerSwapTable', 'gridAnswerSources',
    'answerShiftGrid',
  ],
};

/** One exported name of an entry: whether it has a run-time value, whether it has a doc comment, and where it is declared. */
interface PublicExport {
  name: string;
  runtime: boolean;
  documented: boolean;
  /** `file:line` of its first declaration, for the failure message. */
  declaredAt: string;
}

const exportsByEntry = new Map<string, PublicExport[]>();

/** Every exported name of an entry, values and types alike (read once per entry: a program is slow to build). */
function publicExports(entry: string): PublicExport[] {
  const known = exportsByEntry.get(entry);
  if (known) return known;
  const program = ts.createProgram([entry], { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const found = checker.getExportsOfModule(moduleSymbol).map((exported) => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declaration = symbol.getDeclarations()?.[0];
    const source = declaration?.getSourceFile();
    const declaredAt = declaration && source ? `${source.fileName.replace(`${ROOT}/`, '')}:${source.getLineAndCharacterOfPosition(declaration.getStart()).line + 1}` : '?';
    return {
      name: exported.getName(),
      runtime: (symbol.flags & ts.SymbolFlags.Value) !== 0,
      documented: ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0,
      declaredAt,
    };
  });
  exportsByEntry.set(entry, found);
  return found;
}

for (const [entry, pinned] of Object.entries(PUBLIC_NAMES)) {
  test(`${entry}: the public runtime names are exactly the pinned ones`, () => {
    const exported = publicExports(join(ROOT, entry)).filter((item) => item.runtime);
    assert.deepEqual(exported.map((item) => item.name).sort(), [...pinned].sort(), 'change PUBLIC_NAMES in test/index.test.ts with the API');
    // What the compiled module really exports at run time is the same list.
    const compiled = join(ROOT, 'dist', entry.replace(/\.ts$/, '.js'));
    const names = JSON.parse(execFileSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(Object.keys(require(${JSON.stringify(compiled)}))))`], { encoding: 'utf8' }));
    assert.deepEqual(names.sort(), [...pinned].sort());
  });

  test(`${entry}: every exported name, value or type, has a doc comment`, () => {
    const exported = publicExports(join(ROOT, entry));
    assert.ok(exported.some((item) => !item.runtime), 'expected the entry to export types too');
    const undocumented = exported.filter((item) => !item.documented).map((item) => `${item.name} (${item.declaredAt})`).sort();
    assert.deepEqual(undocumented, [], `undocumented public names:\n  ${undocumented.join('\n  ')}`);
  });
}

test('no entry re-exports a whole module (export *): every public name is chosen', async () => {
  const { readFileSync } = await import('node:fs');
  for (const entry of Object.keys(PUBLIC_NAMES)) assert.doesNotMatch(readFileSync(join(ROOT, entry), 'utf8'), /export \*/, entry);
});

test('the package entry loads no native backend and no optional peer', () => {
  const entry = join(__dirname, '..', 'src', 'index.js');
  const script = `
    require(${JSON.stringify(entry)});
    require(${JSON.stringify(join(__dirname, '..', 'src', 'benchmark', 'index.js'))});
    const loaded = Object.keys(require.cache).filter((file) => /node_modules[/](onnxruntime|@tensorflow|danfojs|@huggingface|hyparquet)/.test(file));
    process.stdout.write(JSON.stringify(loaded));
  `;
  assert.deepEqual(JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })), []);
});

test('package.json exports the entry and the subpath, and nothing deeper', async () => {
  const { readFileSync } = await import('node:fs');
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
  assert.deepEqual(Object.keys(manifest.exports).sort(), ['.', './benchmark', './package.json']);
  assert.deepEqual(manifest.exports['./benchmark'], { types: './dist/src/benchmark/index.d.ts', default: './dist/src/benchmark/index.js' });
});

test('the subpath resolves for TypeScript under node10 (the init template) and nodenext resolution', async (t) => {
  const { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const project = mkdtempSync(join(tmpdir(), 'emishift-subpath-'));
  t.after(() => rmSync(project, { recursive: true, force: true }));
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'emishift'), 'dir');
  writeFileSync(join(project, 'check.ts'), "import { generateScene } from 'emishift/benchmark';\nimport { sweepSplits } from 'emishift';\nexport const checked: [typeof generateScene, typeof sweepSplits] = [generateScene, sweepSplits];\n");
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const [module, resolution] of [['commonjs', 'node10'], ['nodenext', 'nodenext']]) {
    const compiled = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--skipLibCheck', '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', '--module', module, '--moduleResolution', resolution, 'check.ts'], { cwd: project, encoding: 'utf8' });
    assert.equal(compiled.status, 0, `${resolution}: ${compiled.stdout}${compiled.stderr}`);
  }
});
