import { afterEach, describe, expect, it } from 'vitest';
import { MicroBatcher, resolveBatchOptions } from '../../../src/inference/batcher.js';

process.env.MEMEGUARD_LOG = 'silent';

describe('MicroBatcher', () => {
  it('gathers concurrent items into one batch and answers each in order', async () => {
    const calls: number[][] = [];
    const b = new MicroBatcher<number, number>(async (xs) => {
      calls.push(xs);
      return xs.map((x) => x * 10);
    }, { maxSize: 8, maxWaitMs: 20 });
    const out = await Promise.all([1, 2, 3, 4].map((x) => b.submit(x)));
    expect(out).toEqual([10, 20, 30, 40]);
    expect(calls).toEqual([[1, 2, 3, 4]]);
    expect(b.stats).toEqual({ batchSizes: [4], batches: 1, items: 4 });
  });

  it('never runs more than maxSize items at once, and one batch at a time', async () => {
    let running = 0;
    let most = 0;
    const b = new MicroBatcher<number, number>(async (xs) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      return xs;
    }, { maxSize: 3, maxWaitMs: 50 });
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(i)));
    expect(out).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(Math.max(...b.stats.batchSizes)).toBeLessThanOrEqual(3);
    expect(b.stats.batchSizes.reduce((a, c) => a + c, 0)).toBe(10);
    expect(most).toBe(1);
  });

  it('maxWaitMs 0 still batches the callers of the same tick; maxSize 1 disables batching', async () => {
    const b0 = new MicroBatcher<number, number>(async (xs) => xs, { maxSize: 8, maxWaitMs: 0 });
    await Promise.all([1, 2, 3].map((x) => b0.submit(x)));
    expect(b0.stats.batchSizes).toEqual([3]);
    const b1 = new MicroBatcher<number, number>(async (xs) => xs, { maxSize: 1, maxWaitMs: 10 });
    await Promise.all([1, 2, 3].map((x) => b1.submit(x)));
    expect(b1.stats.batchSizes).toEqual([1, 1, 1]);
  });

  it('a failing item fails alone: the others of its batch still get their answers', async () => {
    const b = new MicroBatcher<number, number>(async (xs) => {
      if (xs.includes(13)) throw new Error('unlucky');
      return xs.map((x) => x + 1);
    }, { maxSize: 8, maxWaitMs: 10 });
    const out = await Promise.allSettled([1, 13, 2].map((x) => b.submit(x)));
    expect(out[0]).toEqual({ status: 'fulfilled', value: 2 });
    expect(out[1].status).toBe('rejected');
    expect((out[1] as PromiseRejectedResult).reason.message).toBe('unlucky');
    expect(out[2]).toEqual({ status: 'fulfilled', value: 3 });
    // later work is unaffected
    expect(await b.submit(5)).toBe(6);
  });

  it('close() rejects waiting items and refuses new ones', async () => {
    const b = new MicroBatcher<number, number>(async (xs) => xs, { maxSize: 8, maxWaitMs: 1000 });
    const p = b.submit(1);
    b.close();
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect(b.submit(2)).rejects.toMatchObject({ code: 'CANCELLED' });
  });
});

describe('resolveBatchOptions', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env.MEMEGUARD_BATCH_SIZE = saved.MEMEGUARD_BATCH_SIZE;
    process.env.MEMEGUARD_BATCH_WAIT_MS = saved.MEMEGUARD_BATCH_WAIT_MS;
    if (saved.MEMEGUARD_BATCH_SIZE === undefined) delete process.env.MEMEGUARD_BATCH_SIZE;
    if (saved.MEMEGUARD_BATCH_WAIT_MS === undefined) delete process.env.MEMEGUARD_BATCH_WAIT_MS;
  });
  it('options win over the environment, which wins over the defaults', () => {
    delete process.env.MEMEGUARD_BATCH_SIZE;
    delete process.env.MEMEGUARD_BATCH_WAIT_MS;
    expect(resolveBatchOptions()).toEqual({ maxSize: 8, maxWaitMs: 5 });
    process.env.MEMEGUARD_BATCH_SIZE = '16';
    process.env.MEMEGUARD_BATCH_WAIT_MS = '0';
    expect(resolveBatchOptions()).toEqual({ maxSize: 16, maxWaitMs: 0 });
    expect(resolveBatchOptions({ maxSize: 2 })).toEqual({ maxSize: 2, maxWaitMs: 0 });
  });
  it('refuses a bad environment value with a clear USAGE error', () => {
    process.env.MEMEGUARD_BATCH_SIZE = 'lots';
    expect(() => resolveBatchOptions()).toThrow(/MEMEGUARD_BATCH_SIZE must be a whole number/);
  });
});
