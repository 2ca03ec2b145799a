/** Statistics used to relate EMID to its bound across splits: distributions, correlations, bootstrap. */
export {
  logGamma,
  logBeta,
  regularizedIncompleteBeta,
  studentTCdf,
  twoSidedStudentTPValue,
  erf,
  erfc,
  normalCdf,
  twoSidedNormalPValue,
} from './distributions';
export { pearson, spearman, kendallTauB, rank, correlation } from './correlation';
export type { CorrelationKind, PearsonResult, SpearmanResult, KendallResult } from './correlation';
export { bootstrapInterval, bootstrapIntervalOfSamples, bootstrapCorrelation } from './bootstrap';
export type { BootstrapOptions, BootstrapInterval, BootstrapCorrelationInterval } from './bootstrap';
