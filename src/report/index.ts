/** The self-contained HTML report, the JSON summary, and image export through headless Chromium. */
export { buildReport, type ReportOptions } from './html';
export { summarizeResults, resultsFormat, type ResultsSummary, type ResultsFormat, type FamilyMeans, type QualitySummary } from './summary';
export { exportFigureImage, dumpRenderedDom, findChromium, requireChromium, chromiumMissingMessage, DEFAULT_CHROMIUM, type ImageOptions, type ChromiumOptions } from './chromium';
