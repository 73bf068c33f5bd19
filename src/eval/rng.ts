/** Sampling and splitting of item indices, deterministic for a seed (the generator is src/util/random.ts). */
import { Rng } from '../util/random.js';

export { Rng };

/** k distinct indices out of n, in ascending order. */
export function sampleIndices(n: number, k: number, seed: number): number[] {
  const idx = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  return idx.slice(0, Math.min(k, n)).sort((a, b) => a - b);
}

/**
 * A stratified split of indices into (fit, heldOut): each class contributes round(fraction * count) items to
 * the held-out part (at least one when the class has two or more items).
 */
export function stratifiedSplit(labels: ArrayLike<number>, fraction: number, seed: number): { fit: number[]; heldOut: number[] } {
  const rng = new Rng(seed);
  const fit: number[] = [];
  const heldOut: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === cls) members.push(i);
    rng.shuffle(members);
    let k = Math.round(fraction * members.length);
    if (members.length >= 2) k = Math.min(Math.max(k, 1), members.length - 1);
    heldOut.push(...members.slice(0, k));
    fit.push(...members.slice(k));
  }
  return { fit: fit.sort((a, b) => a - b), heldOut: heldOut.sort((a, b) => a - b) };
}
