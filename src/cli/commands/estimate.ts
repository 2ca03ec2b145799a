import { defineCommand } from '../command';
import { numberOption, requireOption } from '../args';
import { formatNumber, printJson } from '../output';
import { InputError } from '../../errors';

const SETTING_OPTIONS = { k: 'k', seed: 'seed', epochs: 'epochs' } as const;

export const estimateCommand = defineCommand({
  name: 'estimate',
  summary: 'estimate I(x; y) in nats from paired rows with a named estimator (club, gaussian, ksg, ksg2, infonce, nwj, mine, smile, club-mean, club-sample, l1out)',
  usage: [
    'Usage: emishift estimate --x X.npy --y Y.npy --estimator NAME [--k K] [--seed S] [--epochs E] [--json]',
    '',
    'Row i of X goes with row i of Y. Estimators that train (club and the neural ones) fit on a seeded share of the pairs',
    'and estimate on the held-out rest. A setting the estimator does not have is an error.',
  ],
  options: {
    x: { type: 'string', value: 'X.npy', help: 'the rows x_i (n × d_x)' },
    y: { type: 'string', value: 'Y.npy', help: 'the rows y_i (n × d_y), paired with --x' },
    estimator: { type: 'string', value: 'NAME', help: 'club, gaussian, ksg, ksg2, infonce, nwj, mine, smile, club-mean, club-sample or l1out (see `emishift validate` for how each fares)', sets: ['estimator'] },
    k: { type: 'string', value: 'K', help: 'neighbours (ksg, ksg2; default 3)', sets: ['k'] },
    seed: { type: 'string', value: 'S', help: 'training and held-out split seed (estimators that train; default 0)', sets: ['seed'] },
    epochs: { type: 'string', value: 'E', help: 'training epochs (club: default 200, the small preset; the neural estimators: at most, default 30)', sets: ['epochs'] },
    json: { type: 'boolean', help: 'print { estimator, mi, seconds, gives, settings, … } as JSON' },
  },
  async run(options) {
    const xFile = requireOption(options.x, 'x', 'estimate');
    const yFile = requireOption(options.y, 'y', 'estimate');
    const name = requireOption(options.estimator, 'estimator', 'estimate');
    const overrides: Record<string, number | undefined> = {};
    for (const [flag, setting] of Object.entries(SETTING_OPTIONS)) {
      overrides[setting] = numberOption(options[flag as keyof typeof SETTING_OPTIONS], flag, Number.isFinite, 'a number');
    }
    const { createRegisteredEstimator } = await import('../../estimators');
    // Names and settings are checked before the files are read.
    const { entry, settings, estimator } = createRegisteredEstimator(name, overrides);
    const { readPairedNpyMatrices } = await import('../../io/npy');
    const { assertFiniteMatrix } = await import('../../linalg/matrix');
    const { x, y } = readPairedNpyMatrices(xFile, yFile);
    if (x.rows < 2) throw new InputError(`has ${x.rows} row; an estimate needs at least 2 paired rows`, { file: xFile });
    assertFiniteMatrix(x, { file: xFile });
    assertFiniteMatrix(y, { file: yFile });
    const started = performance.now();
    const mi = await estimator.estimate(x, y);
    const seconds = (performance.now() - started) / 1000;
    const { EMISHIFT_VERSION } = await import('../../version');
    const summary = {
      estimator: entry.name,
      mi,
      seconds,
      gives: entry.gives,
      trains: entry.trains,
      settings,
      rows: x.rows,
      x_dim: x.cols,
      y_dim: y.cols,
      x: xFile,
      y: yFile,
      provenance: { emishift_version: EMISHIFT_VERSION, node_version: process.version, estimator: estimator.description },
    };
    if (options.json) {
      printJson(summary);
      return;
    }
    const settingText = Object.entries(settings).map(([key, value]) => `${key} ${value}`).join(', ');
    process.stdout.write(
      `${entry.name}: I(x; y) = ${formatNumber(mi)} nats (${entry.gives}; ${x.rows} pairs, ${x.cols} + ${y.cols} dimensions${settingText ? `, ${settingText}` : ''}; ${seconds.toFixed(2)} s)\n`,
    );
  },
});
