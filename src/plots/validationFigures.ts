/**
 * Figures of an estimator validation run: estimate against the true MI for every task (one
 * trace per estimator, ± one standard deviation over seeds, the identity line), and the bias of
 * every estimator on every task. They take the plain result and read no file.
 */
import type { Data } from 'plotly.js-dist-min';
import type { ValidationResult } from '../estimators';
import type { NamedFigure } from './figures';

/** Colour-blind-safe colours (Okabe–Ito), one per estimator in listing order. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#F0E442', '#000000'];

const CONFIG = { displaylogo: false, responsive: true };

/** Mean estimate vs true MI per task and estimator, with the identity line: points above it overestimate. */
export function validationScatterFigure(result: ValidationResult): NamedFigure {
  const truths = result.rows.map((row) => row.trueMi);
  const values = result.rows.flatMap((row) => [row.meanEstimate - row.sd, row.meanEstimate + row.sd]);
  const low = Math.min(0, ...truths, ...values);
  const high = Math.max(...truths, ...values);
  const data: Data[] = [
    { type: 'scatter', mode: 'lines', name: 'estimate = true MI', x: [low, high], y: [low, high], line: { color: '#888888', dash: 'dot', width: 1.5 }, hoverinfo: 'skip' },
  ];
  result.estimators.forEach((estimator, index) => {
    const rows = result.rows.filter((row) => row.estimator === estimator.name);
    data.push({
      type: 'scatter',
      mode: 'markers',
      name: `${estimator.name} (${estimator.gives})`,
      x: rows.map((row) => row.trueMi),
      y: rows.map((row) => row.meanEstimate),
      error_y: { type: 'data', array: rows.map((row) => row.sd), visible: true, thickness: 1 },
      text: rows.map((row) => row.task),
      marker: { color: COLOURS[index % COLOURS.length], size: 8 },
      hovertemplate: '%{text}<br>true MI = %{x:.4f} nats<br>mean estimate = %{y:.4f} nats<extra>' + estimator.name + '</extra>',
    });
  });
  return {
    id: 'estimate-vs-truth',
    title: 'Estimate vs true mutual information (mean ± SD over seeds)',
    figure: {
      data,
      layout: {
        title: { text: 'Estimate vs true mutual information (mean ± SD over seeds)' },
        height: 560,
        xaxis: { title: { text: 'true MI (nats)' }, zeroline: false },
        yaxis: { title: { text: 'mean estimate (nats)' }, zeroline: false },
        legend: { orientation: 'h', y: -0.18 },
        margin: { t: 60, r: 20 },
      },
      config: CONFIG,
    },
  };
}

/** Bias (mean estimate − true MI) of every estimator on every task, grouped by task. */
export function validationBiasFigure(result: ValidationResult): NamedFigure {
  const data: Data[] = result.estimators.map((estimator, index) => {
    const rows = result.tasks.map((task) => result.rows.find((row) => row.estimator === estimator.name && row.task === task));
    return {
      type: 'bar',
      name: estimator.name,
      x: result.tasks,
      y: rows.map((row) => (row ? row.bias : null)),
      error_y: { type: 'data', array: rows.map((row) => (row ? row.sd : 0)), visible: true, thickness: 1 },
      marker: { color: COLOURS[index % COLOURS.length] },
      hovertemplate: '%{x}<br>bias = %{y:.4f} nats<extra>' + estimator.name + '</extra>',
    };
  });
  return {
    id: 'bias-by-estimator',
    title: 'Bias by estimator and task (mean estimate − true MI, ± SD)',
    figure: {
      data,
      layout: {
        title: { text: 'Bias by estimator and task (mean estimate − true MI, ± SD)' },
        height: 560,
        barmode: 'group',
        xaxis: { tickangle: -40, automargin: true },
        yaxis: { title: { text: 'bias (nats)' }, zeroline: true },
        legend: { orientation: 'h', y: 1.02, yanchor: 'bottom' },
        margin: { t: 110, r: 20 },
      },
      config: CONFIG,
    },
  };
}
