import { describe, expect, it } from 'vitest';
import { hashString, mulberry32, normalArray, Rng, streamFor } from '../../src/util/random.js';

// Values pinned from the generators as they were before they were merged into one module: the synthetic packs,
// data sets and training runs made from a seed must not change.
describe('seeded random numbers', () => {
  it('mulberry32 gives the same uniform sequence for a seed', () => {
    const m = mulberry32(7);
    const got = Array.from({ length: 3 }, () => m());
    expect(got).toEqual([0.011704753153026104, 0.06195825757458806, 0.97690763277933]);
    const again = mulberry32(7);
    expect(again()).toBe(got[0]);
    expect(mulberry32(8)()).not.toBe(got[0]);
  });

  it('Rng keeps its uniform, integer, normal and shuffle sequences', () => {
    const r = new Rng(42);
    expect([r.next(), r.next()]).toEqual([0.4813160905614495, 0.9852536325342953]);
    r.next();
    r.next();
    r.next();
    expect([r.normal(), r.normal()]).toEqual([-0.24822019708073897, -0.09193153953807377]);
    r.normal();
    r.normal();
    r.normal();
    expect(r.shuffle([1, 2, 3, 4, 5, 6, 7])).toEqual([5, 2, 1, 3, 6, 4, 7]);
    const fractional = new Rng(12.7);
    expect(fractional.next()).toBe(0.7750733268912882);
    expect(fractional.int(100)).toBe(53);
  });

  it('Rng draws stay in range and a shuffle is a permutation', () => {
    const r = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const u = r.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const k = r.int(5);
      expect(Number.isInteger(k) && k >= 0 && k < 5).toBe(true);
    }
    const a = Array.from({ length: 50 }, (_, i) => i);
    expect([...r.shuffle([...a])].sort((x, y) => x - y)).toEqual(a);
  });

  it('streamFor gives one stream per name, independent of order, and normalArray keeps its values', () => {
    expect(Array.from(normalArray(3, 0.02, streamFor(3, 'bert.embeddings')))).toEqual(
      [0.029817024245858192, 0.016215482726693153, 0.008046071976423264].map(Math.fround),
    );
    const a = streamFor(3, 'a');
    const b = streamFor(3, 'b');
    expect(a()).not.toBe(b());
    expect(streamFor(3, 'a')()).toBe(streamFor(3, 'a')());
    expect(streamFor(4, 'a')()).not.toBe(streamFor(3, 'a')());
    expect(hashString('')).toBe(0x811c9dc5);
  });

  it('normalArray has the asked mean and spread', () => {
    const x = normalArray(20001, 2, mulberry32(5), 3);
    const mean = x.reduce((s, v) => s + v, 0) / x.length;
    const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
    expect(mean).toBeCloseTo(3, 1);
    expect(sd).toBeCloseTo(2, 1);
  });
});
