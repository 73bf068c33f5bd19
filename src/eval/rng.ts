/** A small seeded PRNG (mulberry32) so that sampling, splits and training are deterministic for a seed. */
export class Rng {
  private state: number;
  private spare: number | null = null;
  constructor(seed: number) {
    this.state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
  /** Fisher–Yates shuffle, in place. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j], a[i]];
    }
    return a;
  }
}

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
