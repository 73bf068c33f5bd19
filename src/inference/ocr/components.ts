/**
 * Binary-image helpers for caption isolation: 8-connected components with the statistics the text finder needs,
 * and a square max filter ("is there such a pixel within r").
 */

export interface Component {
  /** Label in the label image (1-based). */
  label: number;
  area: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Outside pixels touching the component (4-neighbours not in the mask). */
  boundary: number;
  /** Of those, how many lie in the `near` mask (e.g. near a dark outline, or near light paper). */
  boundaryNear: number;
}

/** A square max filter of a 0/1 mask: out[p] = 1 when some pixel within Chebyshev distance r is set. */
export function dilateSquare(mask: Uint8Array, width: number, height: number, r: number): Uint8Array {
  if (r <= 0) return mask.slice();
  const tmp = new Uint8Array(mask.length);
  // Horizontal pass with a running count of set pixels in the window.
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let count = 0;
    for (let x = 0; x < Math.min(r, width); x++) count += mask[row + x];
    for (let x = 0; x < width; x++) {
      const add = x + r;
      if (add < width) count += mask[row + add];
      const drop = x - r - 1;
      if (drop >= 0) count -= mask[row + drop];
      tmp[row + x] = count > 0 ? 1 : 0;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let x = 0; x < width; x++) {
    let count = 0;
    for (let y = 0; y < Math.min(r, height); y++) count += tmp[y * width + x];
    for (let y = 0; y < height; y++) {
      const add = y + r;
      if (add < height) count += tmp[add * width + x];
      const drop = y - r - 1;
      if (drop >= 0) count -= tmp[drop * width + x];
      out[y * width + x] = count > 0 ? 1 : 0;
    }
  }
  return out;
}

/**
 * Labels the 8-connected components of `mask` (0/1) and measures each one, counting how much of its outside
 * boundary lies in `near`. Returns the label image (Int32Array, 0 = background) and the components.
 */
export function labelComponents(
  mask: Uint8Array,
  width: number,
  height: number,
  near: Uint8Array,
): { labels: Int32Array; components: Component[] } {
  const labels = new Int32Array(mask.length);
  const components: Component[] = [];
  const stack = new Int32Array(mask.length);
  let next = 1;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    const label = next++;
    const c: Component = { label, area: 0, x0: width, y0: height, x1: -1, y1: -1, boundary: 0, boundaryNear: 0 };
    let sp = 0;
    stack[sp++] = start;
    labels[start] = label;
    while (sp > 0) {
      const p = stack[--sp];
      const x = p % width;
      const y = (p - x) / width;
      c.area++;
      if (x < c.x0) c.x0 = x;
      if (x > c.x1) c.x1 = x;
      if (y < c.y0) c.y0 = y;
      if (y > c.y1) c.y1 = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (mask[q]) {
            if (!labels[q]) {
              labels[q] = label;
              stack[sp++] = q;
            }
          } else if (dx === 0 || dy === 0) {
            c.boundary++;
            if (near[q]) c.boundaryNear++;
          }
        }
      }
    }
    components.push(c);
  }
  return { labels, components };
}
