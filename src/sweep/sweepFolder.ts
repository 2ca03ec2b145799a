/**
 * A sweep over a folder of split folders, as the `sweep` command runs it: every subfolder is a
 * split, one of them the ID split; with an output file the results are written atomically and
 * every finished comparison is checkpointed beside it, so an interrupted run with the same inputs
 * resumes where it stopped.
 */
import { join } from 'node:path';
import type { ComputedSweep, MutualInformationEstimator } from '../interface';
import { listSplitFolders, readSplitFolderAsync, SPLIT_FILES } from '../data/splitDirectory';
import { MANIFEST_FILE, readSplitManifest } from '../data/splitManifest';
import { assertIdSplit, sweepPendingSplits, type PendingSplitSource, type SweepOptions } from './sweep';
import { inputFingerprint, openSweepCheckpoint } from './checkpoint';
import { writeResults } from './resultsJson';
import type { ShiftModalitySelection } from './selection';

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
  /**
   * Compare only the OOD splits whose shift touches this modality (V image-only, T text-only,
   * J joint, ALL every split), read from each folder's manifest or, without one, the scenario
   * catalog by name; the decision for every split is `provenance.split_selection`.
   */
  modality?: ShiftModalitySelection | undefined;
}

/** Compares the split `idName` under `root` with every other split there. */
export async function sweepSplitFolders(root: string, idName: string, estimator: MutualInformationEstimator, options: SweepFolderOptions = {}): Promise<ComputedSweep> {
  const { out, metadata, inputFiles = [], estimatorKey, modality, ...sweepOptions } = options;
  const splits = listSplitFolders(root);
  assertIdSplit(
    splits.map((split) => split.name),
    idName,
    { file: root },
  );
  const oodSplits = splits.filter((split) => split.name !== idName);
  const selection =
    modality === undefined
      ? undefined
      : (require('./selection') as typeof import('./selection')).selectSplitsByShiftModality(
          oodSplits.map((split) => ({ name: split.name, shift: readSplitManifest(split.directory)?.shift })),
          modality,
          { file: root },
        );
  const compared = selection ? oodSplits.filter((_, index) => selection.splits[index].selected) : oodSplits;
  const toSource = (split: { name: string; directory: string }): PendingSplitSource => ({ name: split.name, location: split.directory, read: () => readSplitFolderAsync(split.directory, split.name) });
  const splitFiles = splits.flatMap((split) => [...Object.values(SPLIT_FILES), MANIFEST_FILE].map((file) => join(split.directory, file)));
  const settings = {
    id: idName,
    mixture: sweepOptions.mixture ?? 'sample-weighted',
    entropyScale: sweepOptions.entropyScale,
    bootstrap: sweepOptions.bootstrap,
    allowSpaceMismatch: sweepOptions.allowSpaceMismatch ?? false,
    estimator: { name: estimator.description.name, key: estimatorKey ?? null },
    // Absent without baselines, so checkpoints written before them keep their fingerprint.
    baselines: sweepOptions.baselines,
    // Only when asked for, so that the fingerprints of sweeps without p-values stay as they were.
    ...(sweepOptions.permutationTest ? { permutationTest: { permutations: sweepOptions.permutationTest.permutations, seed: sweepOptions.permutationTest.seed ?? 0, design: sweepOptions.permutationTest.design ?? 'pooled' } } : {}),
    // Only when given, so that checkpoints of sweeps without a subset keep their fingerprint.
    ...(sweepOptions.rowSubset ? { rowSubset: { rows: sweepOptions.rowSubset.rows, seed: sweepOptions.rowSubset.seed ?? 0 } } : {}),
  };
  const checkpoint = out ? openSweepCheckpoint(`${out}.partial.jsonl`, inputFingerprint([...inputFiles, ...splitFiles], settings)) : undefined;
  const result = await sweepPendingSplits(
    toSource(splits.find((split) => split.name === idName)!),
    compared.map(toSource),
    estimator,
    { ...sweepOptions, completed: checkpoint?.completed, onComparison: (comparison) => checkpoint?.append(comparison) },
  );
  if (selection) result.provenance.split_selection = selection;
  if (out) {
    writeResults(out, result, metadata);
    checkpoint?.remove();
  }
  return result;
}
