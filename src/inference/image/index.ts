/** The image room: untrusted bytes -> RGB pixels (load), and pixels -> the model's pixel_values (preprocess). */
export { loadImage, sniffImage, looksLikeSvg, DEFAULT_IMAGE_LIMITS } from './load.js';
export type { LoadedImage, ImageLimits, SniffedImage, SniffedFormat } from './load.js';
export { loadPreprocessor, preprocessorFromConfig, normalisationTable, hwcToChw } from './preprocess.js';
export type { Preprocessor, PreprocessorOptions, ResizeEngine } from './preprocess.js';
export { resolvePreprocessorConfig, preprocessorConfigSchema, SUPPORTED_PROCESSOR_TYPES } from './preprocessor-config.js';
export type { ResolvedPreprocessing, PreprocessorConfigJson } from './preprocessor-config.js';
export { planResize, shortestEdgeResize, centerCropBox, outputSize } from './geometry.js';
export type { Box, ResizePlan } from './geometry.js';
export { pillowResizeBox } from './resample.js';
export type { PillowFilter, ConvolutionFilter } from './resample.js';
