/** Figures (Plotly JSON), notebook display for tslab, and tables. */
export {
  emidBoundScatter,
  boundSeverityCurves,
  boundDecomposition,
  emiVersusRp,
  trainingCurve,
  estimatorValidation,
  figuresFromResults,
  figuresFromNormalized,
  severityPointsOf,
  type PlotlyFigure,
  type NamedFigure,
  type EmidBoundPoint,
  type EmidBoundScatterOptions,
  type SeverityPoint,
  type DecompositionInput,
  type EmiRpPoint,
  type EstimatorPoint,
} from './figures';
export { normalizeResults, parseResultsText, type NormalizedResults, type SplitResult, type ResultsFormat } from './results';
export {
  show,
  showTable,
  displayBundle,
  tableBundle,
  figureSummary,
  createDisplayState,
  defaultDisplayState,
  tslabSender,
  PLOTLY_MIME,
  type DisplayState,
  type DisplaySender,
  type FigureBundle,
  type TableBundle,
  type ShowOptions,
} from './display';
export { tableFrom, htmlTable, textTable, type Table, type TableInput, type TableFormatOptions } from './table';
export { shiftFamilyOf, leastSquares } from './format';
