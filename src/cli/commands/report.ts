import { defineCommand } from '../command';
import { requireOption } from '../args';
import { printJson, writeFileAtomic } from '../output';
import { commandProgress } from '../progress';

/** `emishift report`: the HTML report, the JSON summary and figure images from a results file. */
export const reportCommand = defineCommand({
  name: 'report',
  summary: 'an offline HTML report (figures, correlations, tables) from a results file',
  usage: [
    'Usage: emishift report --results FILE [--out DIR] [--json] [--png] [--svg] [--progress]',
    '',
    'FILE is a results JSON in the reference format (EMI, EMID, EMID_UB maps; PearsonR, PearsonPval)',
    "or 'emishift sweep'/'run' output. Writes DIR/report.html (default out/report): one self-contained page",
    "with plotly.js inlined, which opens offline. Shift families come from the file's SHIFT map, else from",
    "the paper's split names; a per-split quality (the file's 'quality', else ACCURACY or RP) gets a column",
    "and an EMI-vs-quality figure; the file's provenance block is printed as 'How these results were made'.",
  ],
  options: {
    results: { type: 'string', value: 'FILE', help: 'the results JSON' },
    out: { type: 'string', value: 'DIR', help: 'where report.html (and the images) go (default out/report)' },
    json: { type: 'boolean', help: 'print the summary as JSON (Pearson, Spearman, Kendall, EMI vs. quality, per-family means)' },
    png: {
      type: 'boolean',
      help: ["also write DIR/<figure>.png for every figure (needs headless Chromium:", "/usr/bin/chromium or EMISHIFT_CHROMIUM; 'apt-get install chromium')"],
    },
    svg: { type: 'boolean', help: 'the same as SVG' },
    progress: {
      type: 'boolean',
      help: [
        'detailed progress of the image export on stderr (the default on a terminal; otherwise one',
        'line when it starts and one when it ends: each image starts a browser, about a second each)',
      ],
    },
  },
  async run(options) {
    const file = requireOption(options.results, 'results', 'report');
    const outDir = options.out ?? 'out/report';
    const { join } = await import('node:path');
    const { InputError } = await import('../../errors');
    const { readResults } = await import('../../sweep/resultsJson');
    const { buildReport } = await import('../../report/html');
    const { summarizeResults } = await import('../../report/summary');

    const result = readResults(file);
    let summary;
    try {
      summary = summarizeResults(result);
    } catch (error) {
      // Name the file: the checks only know the field.
      if (error instanceof InputError && error.file === undefined) throw new InputError(error.message, { file });
      throw error;
    }
    const reportFile = join(outDir, 'report.html');
    writeFileAtomic(reportFile, buildReport(result, { source: file }));

    const formats = [...(options.png ? ['png' as const] : []), ...(options.svg ? ['svg' as const] : [])];
    const images: string[] = [];
    if (formats.length > 0) {
      const { chromiumMissingMessage, exportFigureImage, findChromium } = await import('../../report/chromium');
      if (!findChromium()) {
        throw new InputError(`${chromiumMissingMessage()}; ${reportFile} was written, the images were not`, { field: formats.map((format) => `--${format}`).join('/') });
      }
      const { figuresFromResults } = await import('../../plots/figures');
      const figures = figuresFromResults(result);
      const total = figures.length * formats.length;
      const progress = commandProgress('report', options.progress, { stage: 'exporting figures through headless Chromium', unit: 'images' });
      progress({ done: 0, total });
      for (const named of figures) {
        for (const format of formats) {
          const image = join(outDir, `${named.id}.${format}`);
          await exportFigureImage(named.figure, image, { format });
          images.push(image);
          progress({ done: images.length, total, label: image });
        }
      }
    }

    if (options.json) {
      printJson({ ...summary, report: reportFile, ...(images.length ? { images } : {}) });
      return;
    }
    const { formatCoefficient, formatPValue, formatTable } = await import('../output');
    const quality = summary.quality;
    const withQuality = summary.perFamily.some((family) => family.meanQuality !== undefined);
    const families = formatTable(
      ['shift family', 'splits', ...(withQuality ? [`mean ${quality?.label ?? 'quality'}`] : []), 'mean EMID', 'mean bound'],
      summary.perFamily.map((family) => [family.family, family.n, ...(withQuality ? [family.meanQuality] : []), family.meanEmid, family.meanBound]),
    );
    const lines = [
      `EMID vs EMID_UB over ${summary.splits} OOD splits: Pearson r = ${formatCoefficient(summary.pearson.r)} (p = ${formatPValue(summary.pearson.p)}), ` +
        `Spearman rho = ${formatCoefficient(summary.spearman.rho)} (p = ${formatPValue(summary.spearman.p)}), ` +
        `Kendall tau-b = ${formatCoefficient(summary.kendall.tau)} (p = ${formatPValue(summary.kendall.p)})`,
      ...(quality
        ? [
            `EMI vs ${quality.label} over ${quality.n} splits: Spearman rho = ${formatCoefficient(quality.spearman.rho)} (p = ${formatPValue(quality.spearman.p)}), ` +
              `Kendall tau-b = ${formatCoefficient(quality.kendall.tau)} (p = ${formatPValue(quality.kendall.p)})`,
          ]
        : []),
      '',
      families,
      '',
      `report written to ${reportFile}`,
      ...images.map((image) => `image written to ${image}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  },
});
