/** The self-contained HTML report, the JSON summary, and image export through headless Chromium. */
export { buildReport, type ReportOptions } from './html';
export { summarizeResults, type ResultsSummary, type FamilyMeans } from './summary';
export { exportFigureImage, dumpRenderedDom, findChromium, requireChromium, chromiumMissingMessage, DEFAULT_CHROMIUM, type ImageOptions, type ChromiumOptions } from './chromium';
