/**
 * The whole estimator contract from `estimate` alone, for an estimator with no pass over x to
 * share: several y are estimated one after another, and a kept x is simply the rows it selects.
 */
import type { ConditionedEstimator, EstimatorDefinition, EstimatorDiagnosis, Matrix, MutualInformationEstimator } from '../interface';
import { selectRows } from '../linalg/matrix';

const NOTHING_TO_REPORT: EstimatorDiagnosis = Object.freeze({ values: Object.freeze({}), warnings: Object.freeze([]) });

/** An estimator built from a description and `estimate(x, y)`; it plugs into `emi`, `comparePair`, `sweepSplits` and the intervals. */
export function defineEstimator(definition: EstimatorDefinition): MutualInformationEstimator {
  const estimate = (x: Matrix, y: Matrix) => definition.estimate(x, y);
  return {
    description: definition.description,
    estimate,
    async estimateMany(x: Matrix, ys: readonly Matrix[]): Promise<number[]> {
      const values: number[] = [];
      for (const y of ys) values.push(await estimate(x, y));
      return values;
    },
    async condition(x: Matrix): Promise<ConditionedEstimator> {
      const onRows = (y: Matrix, rows?: Int32Array) => (rows === undefined ? estimate(x, y) : estimate(selectRows(x, rows), selectRows(y, rows)));
      return {
        rows: x.rows,
        estimate: onRows,
        async estimateSelections(y, selections) {
          const values = new Float64Array(selections.length);
          for (let k = 0; k < selections.length; k++) values[k] = await onRows(y, selections[k]);
          return values;
        },
      };
    },
    prepare(): void {},
    diagnose: async () => NOTHING_TO_REPORT,
  };
}
