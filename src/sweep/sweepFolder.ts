/**
 * A sweep over a folder of split folders, as the `sweep` command runs it: every subfolder is a
 * split, one of them the ID split; with an output file the results are written atomically and
 * every finished comparison is checkpointed beside it, so an interrupted run with the same inputs
 * resumes where it stopped.
 */
import { join } from 'node:path';
import type { ComputedSweep, MutualInformationEstimator } from '../interface';
import { listSplitFolders, readSplitFolder, SPLIT_FILES } from '../data/splitDirectory';
import { MANIFEST_FILE } from '../data/splitManifest';
import { assertIdSplit, sweepSplits, type SplitSource, type SweepOptions } from './sweep';
import { inputFingerprint, openSweepCheckpoint } from './checkpoint';
import { writeResults } from './resultsJson';

/** A sweep's options (resumption is the checkpoint's job) plus where the results go and what they record. */
export interface SweepFolderOptions extends Omit<SweepOptions, 'completed' | 'onComparison'> {
  /**
   * Where the results JSON goes (written atomically at the end). Finished comparisons are
   * checkpointed to `OUT.partial.jsonl` meanwhile, and removed once the results are written.
   */
  out?: string | undefined;
  /** Top-level keys added to the written results (`split_root`, the estimator's file, …). */
  metadata?: Record<string, unknown> | undefined;
  /** Files other than the splits' whose change makes a checkpoint stale (the estimator's weights). */
  inputFiles?: readonly string[] | undefined;
  /**
   * What identifies the estimator for the checkpoint beyond its name and `inputFiles` (its
   * settings, e.g. `{ k: 3 }`): a checkpoint made with another estimator is never resumed.
   */
  estimatorKey?: unknown;
}

/** Compares the split `idName` under `root` with every other split there. */
export async function sweepSplitFolders(root: string, idName: string, estimator: MutualInformationEstimator, options: SweepFolderOptions = {}): Promise<ComputedSweep> {
  const { out, metadata, inputFiles = [], estimatorKey, ...sweepOptions } = options;
  const splits = listSplitFolders(root);
  assertIdSplit(
    splits.map((split) => split.name),
    idName,
    { file: root },
  );
  const toSource = (split: { name: string; directory: string }): SplitSource => ({ name: split.name, location: split.directory, load: () => readSplitFolder(split.directory, split.name) });
  const splitFiles = splits.flatMap((split) => [...Object.values(SPLIT_FILES), MANIFEST_FILE].map((file) => join(split.directory, file)));
  const settings = {
    id: idName,
    mixture: sweepOptions.mixture ?? 'sample-weighted',
    entropyScale: sweepOptions.entropyScale,
    bootstrap: sweepOptions.bootstrap,
    allowSpaceMismatch: sweepOptions.allowSpaceMismatch ?? false,
    estimator: { name: estimator.description.name, key: estimatorKey ?? null },
    // Only when asked for, so that the fingerprints of sweeps without p-values stay as they were.
    ...(sweepOptions.permutationTest ? { permutationTest: { permutations: sweepOptions.permutationTest.permutations, seed: sweepOptions.permutationTest.seed ?? 0, design: sweepOptions.permutationTest.design ?? 'pooled' } } : {}),
  };
  const checkpoint = out ? openSweepCheckpoint(`${out}.partial.jsonl`, inputFingerprint([...inputFiles, ...splitFiles], settings)) : undefined;
  const result = await sweepSplits(
    toSource(splits.find((split) => split.name === idName)!),
    splits.filter((split) => split.name !== idName).map(toSource),
    estimator,
    { ...sweepOptions, completed: checkpoint?.completed, onComparison: (comparison) => checkpoint?.append(comparison) },
  );
  if (out) {
    writeResults(out, result, metadata);
    checkpoint?.remove();
  }
  return result;
}
