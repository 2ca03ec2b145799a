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
  normalQuantile,
  twoSidedNormalPValue,
} from './distributions';
export { pearson, spearman, kendallTauB, rank, correlation } from './correlation';
export type { CorrelationKind, PearsonResult, SpearmanResult, KendallResult } from './correlation';
export { bootstrapInterval, bootstrapIntervalOfSamples, bootstrapCorrelation, jackknifeAcceleration, INTERVAL_METHODS, DEFAULT_INTERVAL_METHOD } from './bootstrap';
export type { BootstrapOptions, BootstrapInterval, BootstrapCorrelationInterval, IntervalMethod } from './bootstrap';
