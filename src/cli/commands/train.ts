import type { Command } from '../main';
import { isNonNegative, isPositive, isPositiveInteger, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { InputError } from '../../errors';
import { PROGRESS_USAGE } from './shared';
import type { EmbeddingSet, Matrix } from '../../interface';

const OPTIONS = {
  root: { type: 'string' },
  x: { type: 'string' },
  y: { type: 'string' },
  out: { type: 'string' },
  init: { type: 'string' },
  epochs: { type: 'string' },
  'batch-size': { type: 'string' },
  lr: { type: 'string' },
  seed: { type: 'string' },
  hidden: { type: 'string' },
  'validation-fraction': { type: 'string' },
  engine: { type: 'string' },
  preset: { type: 'string' },
  threads: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const;

const ENGINES = ['auto', 'native', 'tfjs'] as const;

export const trainCommand: Command = {
  summary: 'train a CLUB estimator on paired rows (x_i, y_i) and save it as .safetensors',
  usage: [
    'Usage: emishift train (--x FILE.npy --y FILE.npy | --root DIR) --out FILE [--preset paper|small] [--epochs E] [--batch-size B] [--lr LR]',
    '                      [--seed S] [--hidden H] [--validation-fraction F] [--init FILE] [--engine auto|native|tfjs]',
    '                      [--threads N] [--json] [--progress]',
    '',
    '--x/--y: paired rows. --root: pool (z, z_y) pairs from every split folder under DIR, as the reference does',
    '(z = (z_v + z_t) / 2, or z_t for text-only splits; z_y the reference answers).',
    'Trains q(y|x) with Adam on the negative log-likelihood. --preset picks the settings (the same presets as',
    '`run --config` and ClubEstimator.fit): paper (default: 50 epochs, batch 2048, lr 1e-3, seed 0, 250 hidden',
    'units, the published network) or small (200 epochs, batch 256, lr 3e-3, seed 0, 64 hidden units, for a',
    'few thousand pairs); --epochs, --batch-size, --lr, --seed, --hidden, --validation-fraction override it.',
    'With --validation-fraction the best held-out epoch is kept. --init continues from saved weights (.pt or',
    '.safetensors; Adam restarts from zero moments). With --root, the embedding space of the split folders\'',
    'manifests is recorded in FILE, so later comparisons can check that they use embeddings of that space.',
    'Engines: native = ONNX Runtime kernels on all cores (auto picks it when installed);',
    '         tfjs = TensorFlow.js (tfjs-node when installed, else WASM).',
    PROGRESS_USAGE,
  ].join('\n'),
  flags: {
    epochs: '--epochs',
    batchSize: '--batch-size',
    learningRate: '--lr',
    hiddenDim: '--hidden',
    validationFraction: '--validation-fraction',
    threads: '--threads',
    engine: '--engine',
    initial: '--init',
    seed: '--seed',
  },
  options: OPTIONS,
  async run(argv) {
    const options = parseCommandArgs('train', argv, OPTIONS);
    if (options.root !== undefined && (options.x !== undefined || options.y !== undefined)) {
      throw new InputError('give either --root or --x and --y, not both');
    }
    const out = requireOption(options.out, 'out', 'train');
    const engine = options.engine ?? 'auto';
    if (!(ENGINES as readonly string[]).includes(engine)) throw new InputError(`expected ${ENGINES.join(', ')}, got '${engine}'`, { field: '--engine' });
    const overrides = {
      epochs: numberOption(options.epochs, 'epochs', isPositiveInteger, 'a positive integer'),
      batchSize: numberOption(options['batch-size'], 'batch-size', isPositiveInteger, 'a positive integer'),
      learningRate: numberOption(options.lr, 'lr', isPositive, 'a positive number'),
      seed: numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
      hiddenDim: numberOption(options.hidden, 'hidden', isPositiveInteger, 'a positive integer'),
      validationFraction: numberOption(options['validation-fraction'], 'validation-fraction', (n) => isNonNegative(n) && n < 1, 'a number in [0, 1)'),
    };
    const threads = numberOption(options.threads, 'threads', isPositiveInteger, 'a positive integer');
    const { CLUB_PRESET_NAMES, isClubPresetName } = await import('../../estimators/club/clubPresets');
    const preset = options.preset ?? 'paper';
    if (!isClubPresetName(preset)) throw new InputError(`expected ${CLUB_PRESET_NAMES.join(' or ')}, got '${preset}'`, { field: '--preset' });
    const { readNpyMatrix } = await import('../../io/npy');
    const { loadClub } = await import('../../estimators/club/clubFile');
    const { ClubEstimator } = await import('../../estimators/club/clubEstimator');
    const initial = options.init !== undefined ? loadClub(options.init) : undefined;
    let data: EmbeddingSet[] | { x: Matrix; y: Matrix };
    let dims: { x: number; y: number };
    if (options.root !== undefined) {
      const { listSplitDirectories, readSplitDirectory } = await import('../../data/splitDirectory');
      const splits = listSplitDirectories(options.root);
      if (splits.length === 0) throw new InputError('no split folders found', { file: options.root });
      const sets = splits.map((split) => readSplitDirectory(split.directory, split.name));
      data = sets;
      dims = { x: sets[0].text.cols, y: sets[0].reference.cols };
    } else {
      const xFile = requireOption(options.x, 'x', 'train');
      const yFile = requireOption(options.y, 'y', 'train');
      const x = readNpyMatrix(xFile);
      const y = readNpyMatrix(yFile);
      if (x.rows !== y.rows) throw new InputError(`has ${y.rows} rows but ${xFile} has ${x.rows}: training pairs must be aligned`, { file: yFile });
      data = { x, y };
      dims = { x: x.cols, y: y.cols };
    }
    if (initial && (initial.xDim !== dims.x || initial.yDim !== dims.y)) {
      throw new InputError(`weights are for ${initial.xDim} → ${initial.yDim}, the training pairs are ${dims.x} → ${dims.y}`, { file: options.init });
    }
    const estimator = await ClubEstimator.fit(data, preset, {
      overrides,
      initial,
      trainEngine: engine as (typeof ENGINES)[number],
      threads,
      onProgress: commandProgress('train', options.progress, { stage: 'training CLUB', unit: 'epochs' }),
    });
    const result = estimator.training!;
    const settings = estimator.origin.training!.settings as Record<string, number>;
    const space = estimator.origin.space;
    if (!space) {
      process.stderr.write(
        `emishift train: warning: the training pairs come from ${options.root !== undefined ? 'split folders without a manifest naming their embedding space' : '--x/--y files'}: ` +
          `${out} records no embedding space, so comparisons cannot check that they use embeddings of the same space\n`,
      );
    }
    estimator.save(out, { trained_by: 'emishift train' });
    const summary = {
      out,
      engine: result.engine,
      rows: result.trainRows + result.validationRows,
      train_rows: result.trainRows,
      validation_rows: result.validationRows,
      x_dim: dims.x,
      y_dim: dims.y,
      hidden_dim: result.parameters.hiddenDim,
      preset,
      embedding_space: space ?? null,
      epochs: result.history.length,
      batch_size: settings.batchSize,
      learning_rate: settings.learningRate,
      seed: settings.seed,
      best_epoch: result.bestEpoch,
      final_train_loss: result.finalTrainLoss,
      ...(result.finalValidationLoss !== undefined ? { best_validation_loss: result.finalValidationLoss } : {}),
      samples_per_second: result.samplesPerSecond,
      seconds: result.seconds,
    };
    if (options.json) {
      printJson(summary);
      return;
    }
    process.stdout.write(
      `trained CLUB on ${summary.rows} pairs (preset ${preset}) with ${result.engine}: final loss ${result.finalTrainLoss.toFixed(4)}, ` +
        `${Math.round(result.samplesPerSecond)} samples/s; saved to ${out}\n`,
    );
  },
};
