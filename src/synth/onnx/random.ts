/**
 * Deterministic pseudo-random numbers for synthetic weights: the project's one seeded generator lives in
 * src/util/random.ts; the synthetic model builders import it from here.
 */
export { hashString, mulberry32, normalArray, streamFor } from '../../util/random.js';
