/** Pooling of a [batch, sequence, hidden] tensor into one vector per item. */

export type Pooling = 'cls' | 'mean';

/**
 * One embedding per batch row: the first position ('cls'), or the mean over positions whose attention mask is 1
 * ('mean'), so padding never changes an item's embedding.
 */
export function poolHidden(
  hidden: Float32Array,
  dims: readonly number[],
  mask: ArrayLike<number | bigint>,
  pooling: Pooling,
): Float32Array[] {
  const [B, S, H] = dims.map(Number);
  const out: Float32Array[] = [];
  for (let b = 0; b < B; b++) {
    const e = new Float32Array(H);
    if (pooling === 'cls') {
      e.set(hidden.subarray(b * S * H, b * S * H + H));
    } else {
      const acc = new Float64Array(H);
      let n = 0;
      for (let s = 0; s < S; s++) {
        if (Number(mask[b * S + s]) === 0) continue;
        n++;
        const off = (b * S + s) * H;
        for (let h = 0; h < H; h++) acc[h] += hidden[off + h];
      }
      for (let h = 0; h < H; h++) e[h] = n > 0 ? acc[h] / n : 0;
    }
    out.push(e);
  }
  return out;
}
