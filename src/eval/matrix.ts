/** A dense row-major matrix of float32 features: row i is data[i*cols .. (i+1)*cols). */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export function matrixFromRows(rows: ArrayLike<number>[], cols?: number): Matrix {
  const c = cols ?? (rows[0]?.length ?? 0);
  const data = new Float32Array(rows.length * c);
  rows.forEach((r, i) => {
    if (r.length !== c) throw new Error(`row ${i} has ${r.length} values, expected ${c}`);
    data.set(r as ArrayLike<number>, i * c);
  });
  return { rows: rows.length, cols: c, data };
}

export function selectRows(m: Matrix, idx: number[]): Matrix {
  const data = new Float32Array(idx.length * m.cols);
  idx.forEach((r, i) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), i * m.cols));
  return { rows: idx.length, cols: m.cols, data };
}

/** Horizontal concatenation [a, b]. */
export function hconcat(a: Matrix, b: Matrix): Matrix {
  if (a.rows !== b.rows) throw new Error(`hconcat: ${a.rows} rows vs ${b.rows}`);
  const cols = a.cols + b.cols;
  const data = new Float32Array(a.rows * cols);
  for (let i = 0; i < a.rows; i++) {
    data.set(a.data.subarray(i * a.cols, (i + 1) * a.cols), i * cols);
    data.set(b.data.subarray(i * b.cols, (i + 1) * b.cols), i * cols + a.cols);
  }
  return { rows: a.rows, cols, data };
}

export interface Standardiser {
  mean: Float32Array;
  std: Float32Array;
}

/** Per-column mean and standard deviation (population); a constant column gets std 1. */
export function fitStandardiser(m: Matrix): Standardiser {
  const mean = new Float64Array(m.cols);
  const sq = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) mean[j] += m.data[o + j];
  }
  for (let j = 0; j < m.cols; j++) mean[j] /= Math.max(1, m.rows);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) {
      const d = m.data[o + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const std = new Float32Array(m.cols);
  for (let j = 0; j < m.cols; j++) {
    const s = Math.sqrt(sq[j] / Math.max(1, m.rows));
    std[j] = s > 1e-6 ? s : 1;
  }
  return { mean: Float32Array.from(mean), std };
}

/** (x - mean) / std, the same arithmetic as the heads' standardiser in inference/heads/apply.ts. */
export function standardise(m: Matrix, s: Standardiser): Matrix {
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < m.rows; i++) {
    const o = i * m.cols;
    for (let j = 0; j < m.cols; j++) data[o + j] = (m.data[o + j] - s.mean[j]) / s.std[j];
  }
  return { rows: m.rows, cols: m.cols, data };
}

/** Balanced class weights n / (2 n_class), normalised so that they average 1 over the items. */
export function balancedWeights(labels: ArrayLike<number>): Float64Array {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i];
  const neg = labels.length - pos;
  const n = labels.length;
  const wPos = pos > 0 ? n / (2 * pos) : 0;
  const wNeg = neg > 0 ? n / (2 * neg) : 0;
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = labels[i] === 1 ? wPos : wNeg;
  return w;
}
