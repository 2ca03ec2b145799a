/**
 * `emishift/benchmark`: the project's own generated multimodal benchmark — procedurally drawn
 * scenes, questions with ground-truth answers, a small answering model that really answers them,
 * the grid of shifted splits and the seeded image and text shift functions that make it — for
 * building shifted data of one's own. The job that runs it is `runShiftBenchmark` in `emishift`.
 */
export {
  generateScene,
  renderScene,
  encodeScenePng,
  SHAPES,
  COLOURS,
  SIZES,
  TEXTURES,
  BACKGROUND_COLOURS,
  type Shape,
  type ColourName,
  type Size,
  type Texture,
  type BackgroundColour,
  type Row,
  type Column,
  type GridPosition,
  type SceneObject,
  type Background,
  type Scene,
  type SceneOptions,
  type RenderOptions,
} from './scenes';
export { generateQueries, askQuestion, answerSentence, QUERY_KINDS, type QueryKind, type Query, type SceneQuestion, type AnswerSlots, type AnswerSlotValues, type GenerateQueriesOptions } from './questions';
export { trainAnsweringModel, AnsweringModel, saveAnsweringModel, loadAnsweringModel, slotAccuracy, type ModelAnswer, type QueryAnswerer, type TrainAnsweringOptions, type SlotAccuracy } from './model';
export { trainEmbeddingAnsweringModel, EmbeddingAnsweringModel, encodeEmbeddingAnsweringModel, decodeEmbeddingAnsweringModel, type AnsweringFeatures, type TrainEmbeddingAnsweringOptions } from './embeddingModel';
export { defaultShiftGrid, answerSwapGrid, gridAnswerSources, shiftedQueries, splitName, type GridSplitSpec, type ShiftedQuery } from './splitGrid';
export { answerShiftGrid, type AnswerShiftGridOptions, type AnsweredShiftGrid } from './answerGrid';
export { writeBenchmarkData, readBenchmarkData, type BenchmarkSettings, type BenchmarkData } from './benchmarkFiles';
export {
  applyImageShift,
  applyTextShift,
  defocusBlur,
  frost,
  gaussianNoise,
  contrast,
  keyboardTypos,
  synonymReplacement,
  wordOrderNoise,
  IMAGE_SHIFT_NAMES,
  TEXT_SHIFT_NAMES,
  MAX_IMAGE_SEVERITY,
  TEXT_SHIFT_MAX_SEVERITY,
  type ImageShiftName,
  type TextShiftName,
  answerSwapSources,
  answerSwapSet,
  answerSwapTable,
  ANSWER_SHIFT_NAMES,
  ANSWER_SWAP_RATES,
  type AnswerShiftName,
  type AnswerSwapOptions,
} from '../shifts/index';
export type { RgbaImage, RgbImage } from '../io/image';
