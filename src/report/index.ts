/** The self-contained HTML report, the JSON summary, and image export through headless Chromium. */
export { buildReport, buildReportFromNormalized, type ReportOptions } from './html';
export { summarizeResults, summarizeNormalized, type ResultsSummary, type FamilyMeans, type QualitySummary } from './summary';
export { exportFigureImage, dumpRenderedDom, findChromium, requireChromium, chromiumMissingMessage, DEFAULT_CHROMIUM, type ImageOptions, type ChromiumOptions } from './chromium';
