import type { Command } from '../main';
import { isNonNegative, isPositive, isPositiveInteger, numberOption, parseCommandArgs, requireOption } from '../args';
import { printJson } from '../output';
import { commandProgress } from '../progress';
import { InputError } from '../../errors';
import { PROGRESS_USAGE } from './shared';
import type { Matrix } from '../../interface';

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
  threads: { type: 'string' },
  json: { type: 'boolean' },
  progress: { type: 'boolean' },
} as const;

const ENGINES = ['auto', 'native', 'tfjs'] as const;

export const trainCommand: Command = {
  summary: 'train a CLUB estimator on paired rows (x_i, y_i) and save it as .safetensors',
  usage: [
    'Usage: emishift train (--x FILE.npy --y FILE.npy | --root DIR) --out FILE [--epochs E] [--batch-size B] [--lr LR]',
    '                      [--seed S] [--hidden H] [--validation-fraction F] [--init FILE] [--engine auto|native|tfjs]',
    '                      [--threads N] [--json] [--progress]',
    '',
    '--x/--y: paired rows. --root: pool (z, z_y) pairs from every split folder under DIR, as the reference does',
    '(z = (z_v + z_t) / 2, or z_t for text-only splits; z_y the reference answers).',
    'Trains q(y|x) with Adam on the negative log-likelihood (defaults: 50 epochs, batch 2048, lr 1e-3, seed 0,',
    '250 hidden units). With --validation-fraction the best held-out epoch is kept. --init continues from saved',
    'weights (.pt or .safetensors; Adam restarts from zero moments).',
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
    const trainOptions = {
      epochs: numberOption(options.epochs, 'epochs', isPositiveInteger, 'a positive integer'),
      batchSize: numberOption(options['batch-size'], 'batch-size', isPositiveInteger, 'a positive integer'),
      learningRate: numberOption(options.lr, 'lr', isPositive, 'a positive number'),
      seed: numberOption(options.seed, 'seed', (n) => Number.isInteger(n) && n >= 0, 'an integer ≥ 0'),
      hiddenDim: numberOption(options.hidden, 'hidden', isPositiveInteger, 'a positive integer'),
      validationFraction: numberOption(options['validation-fraction'], 'validation-fraction', (n) => isNonNegative(n) && n < 1, 'a number in [0, 1)'),
      threads: numberOption(options.threads, 'threads', isPositiveInteger, 'a positive integer'),
      engine: engine as (typeof ENGINES)[number],
    };
    const { readNpyMatrix } = await import('../../data/npy');
    const { trainClub, TRAIN_DEFAULTS } = await import('../../mi/trainClub');
    const { saveClub, loadClub } = await import('../../mi/clubFile');
    const initial = options.init !== undefined ? loadClub(options.init) : undefined;
    let x: Matrix;
    let y: Matrix;
    if (options.root !== undefined) {
      const { listSplitDirectories, readSplitDirectory } = await import('../../data/splitDirectory');
      const { pooledTrainingPairs } = await import('../../mi/pooledPairs');
      const splits = listSplitDirectories(options.root);
      if (splits.length === 0) throw new InputError('no split folders found', { file: options.root });
      ({ x, y } = pooledTrainingPairs(splits.map((split) => readSplitDirectory(split.directory, split.name))));
    } else {
      const xFile = requireOption(options.x, 'x', 'train');
      const yFile = requireOption(options.y, 'y', 'train');
      x = readNpyMatrix(xFile);
      y = readNpyMatrix(yFile);
      if (x.rows !== y.rows) throw new InputError(`has ${y.rows} rows but ${xFile} has ${x.rows}: training pairs must be aligned`, { file: yFile });
    }
    if (initial && (initial.xDim !== x.cols || initial.yDim !== y.cols)) {
      throw new InputError(`weights are for ${initial.xDim} → ${initial.yDim}, the training pairs are ${x.cols} → ${y.cols}`, { file: options.init });
    }
    const result = await trainClub(x, y, { ...trainOptions, initial, onProgress: commandProgress('train', options.progress, { stage: 'training CLUB', unit: 'epochs' }) });
    const settings = { ...TRAIN_DEFAULTS, ...Object.fromEntries(Object.entries(trainOptions).filter(([, v]) => v !== undefined)) };
    saveClub(out, result.parameters, {
      trained_by: 'emishift train',
      settings: JSON.stringify(settings),
      best_epoch: String(result.bestEpoch),
      final_train_loss: String(result.finalTrainLoss),
    });
    const summary = {
      out,
      engine: result.engine,
      rows: x.rows,
      train_rows: result.trainRows,
      validation_rows: result.validationRows,
      x_dim: x.cols,
      y_dim: y.cols,
      hidden_dim: result.parameters.hiddenDim,
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
      `trained CLUB on ${x.rows} pairs with ${result.engine}: final loss ${result.finalTrainLoss.toFixed(4)}, ` +
        `${Math.round(result.samplesPerSecond)} samples/s; saved to ${out}\n`,
    );
  },
};
