/** Synthetic distribution shifts to apply to one's own images and questions. */
export {
  defocusBlur,
  frost,
  gaussianNoise,
  contrast,
  applyImageShift,
  IMAGE_SHIFT_NAMES,
  MAX_IMAGE_SEVERITY,
  type ImageShiftName,
} from './image';
export {
  keyboardTypos,
  synonymReplacement,
  wordOrderNoise,
  applyTextShift,
  matchCase,
  KEYBOARD_NEIGHBOURS,
  TEXT_SHIFT_NAMES,
  TEXT_SHIFT_MAX_SEVERITY,
  type TextShiftName,
  type TypoOperation,
  type KeyboardTypoOptions,
} from './text';
export { THESAURUS, synonymsOf } from './thesaurus';
export { answerSwapSources, answerSwapSet, answerSwapTable, answerSwapShift, ANSWER_SHIFT_NAMES, ANSWER_SWAP_RATES, type AnswerShiftName, type AnswerSwapOptions } from './answers';
