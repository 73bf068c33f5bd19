import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { Heads, LogisticScorer, MlpScorer, fusionScorer, sigmoid } from '../../src/inference/heads/apply.js';
import { decodeTensor, encodeTensor, type HeadsFile } from '../../src/inference/heads/format.js';
import { readHeads } from '../../src/inference/heads/load.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('sigmoid', () => {
  it('matches 1/(1+e^-x) and stays finite at the extremes', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(sigmoid(-2)).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
  });
});

describe('tensors', () => {
  it('round-trips float32 values and refuses a wrong byte count', () => {
    const t = encodeTensor([1.5, -2, 0.25], [3]);
    expect(Array.from(decodeTensor(t))).toEqual([1.5, -2, 0.25]);
    expect(() => decodeTensor({ ...t, shape: [4] })).toThrow(/needs 16 bytes/);
    expect(() => encodeTensor([1, 2], [3])).toThrow(/needs 3 values/);
  });
});

describe('logistic head', () => {
  // By hand: x = [3, 1], standardised with mean [1, 0], std [2, 1] -> [1, 1]; z = 0.5 + 1*1 + (-2)*1 = -0.5
  const head = {
    type: 'logistic' as const,
    dim: 2,
    mean: encodeTensor([1, 0], [2]),
    std: encodeTensor([2, 1], [2]),
    weights: encodeTensor([1, -2], [2]),
    bias: 0.5,
  };
  it('scores against a hand-computed value', () => {
    const s = new LogisticScorer(head);
    expect(s.logit([3, 1])).toBeCloseTo(-0.5, 6);
    expect(s.score([3, 1])).toBeCloseTo(0.3775406687981454, 6);
  });
  it('without standardisation is a plain dot product', () => {
    const s = new LogisticScorer({ ...head, mean: undefined, std: undefined });
    expect(s.logit([3, 1])).toBeCloseTo(0.5 + 3 - 2, 6);
  });
  it('refuses an embedding of the wrong width and inconsistent weights', () => {
    const s = new LogisticScorer(head);
    expect(() => s.score([1, 2, 3])).toThrow(/3 values, the head expects 2/);
    expect(() => new LogisticScorer({ ...head, dim: 3 })).toThrow(/2 weights for dim 3/);
    expect(() => new LogisticScorer({ ...head, mean: encodeTensor([1, 2, 3], [3]) })).toThrow(/mean has 3 values/);
  });
});

describe('stacking fusion', () => {
  it('is logistic regression on [p_text, p_image]', () => {
    const f = fusionScorer({ name: 's', type: 'stacking', weights: [2, -1], bias: -0.5 });
    // z = -0.5 + 2*0.8 - 1*0.4 = 0.7
    expect(f({ pText: 0.8, pImage: 0.4 })).toBeCloseTo(0.6681877721681662, 12);
  });
});

describe('mlp fusion', () => {
  // x = [7, -1] standardised (mean [1, 0], std [2, 1]) -> [3, -1]
  // layer 1 (relu): W = [[1, -1], [2, 1]] (row = input), b = [0, 0.5]: h = [3 - 2, -3 - 1 + 0.5] = [1, -3.5] -> [1, 0]
  // layer 2: W = [[1.5], [-1]], b = [0.25]: z = 1.5 + 0 + 0.25 = 1.75
  const head = {
    name: 'mlp',
    type: 'mlp' as const,
    input: 'concat' as const,
    textDim: 1,
    imageDim: 1,
    mean: encodeTensor([1, 0], [2]),
    std: encodeTensor([2, 1], [2]),
    layers: [
      { weights: encodeTensor([1, -1, 2, 1], [2, 2]), bias: encodeTensor([0, 0.5], [2]), activation: 'relu' as const },
      { weights: encodeTensor([1.5, -1], [2, 1]), bias: encodeTensor([0.25], [1]), activation: 'none' as const },
    ],
  };
  it('scores against a hand-computed value', () => {
    expect(new MlpScorer(head).score([7], [-1])).toBeCloseTo(sigmoid(1.75), 6);
    expect(sigmoid(1.75)).toBeCloseTo(0.8519528019683106, 12);
  });
  it('as a fusion needs both embeddings', () => {
    const f = fusionScorer(head);
    expect(f({ pText: 0.1, pImage: 0.1, textEmbedding: [7], imageEmbedding: [-1] })).toBeCloseTo(sigmoid(1.75), 6);
    expect(f({ pText: 0.1, pImage: 0.1 })).toBeNull();
  });
  it('refuses inconsistent layers', () => {
    expect(() => new MlpScorer({ ...head, textDim: 2, mean: undefined, std: undefined })).toThrow(/expects input 2, previous layer gives 3/);
    expect(() => new MlpScorer({ ...head, layers: [head.layers[0]] })).toThrow(/last layer must have width 1/);
    const badBias = { ...head.layers[0], bias: encodeTensor([0], [1]) };
    expect(() => new MlpScorer({ ...head, layers: [badBias, head.layers[1]] })).toThrow(/1 biases for width 2/);
    expect(() => new MlpScorer(head).score([1, 2], [1])).toThrow(/expects embeddings of 1 \+ 1/);
  });
});

describe('readHeads', () => {
  async function tmp(): Promise<string> {
    const d = await mkdtemp(path.join(tmpdir(), 'mg-heads-'));
    dirs.push(d);
    return d;
  }
  const file: HeadsFile = {
    format: 'memeguard-heads',
    version: 1,
    text: { type: 'logistic', dim: 2, weights: encodeTensor([1, 1], [2]), bias: 0 },
    fusions: [{ name: 'stack', type: 'stacking', weights: [1, 1], bias: -1 }],
  };
  it('loads and decodes a heads file', async () => {
    const d = await tmp();
    await writeFile(path.join(d, 'heads.json'), JSON.stringify(file));
    const h = await readHeads(path.join(d, 'heads.json'));
    expect(h).toBeInstanceOf(Heads);
    expect(h.text?.score([1, -1])).toBe(0.5);
    expect(h.image).toBeUndefined();
    expect(h.fusions.get('stack')?.({ pText: 0.5, pImage: 0.5 })).toBe(0.5);
  });
  async function refusal(content: string): Promise<MemeguardError> {
    const d = await tmp();
    await writeFile(path.join(d, 'heads.json'), content);
    return readHeads(path.join(d, 'heads.json')).then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: MemeguardError) => e,
    );
  }
  it('names the field of an invalid heads file', async () => {
    const e = await refusal(JSON.stringify({ ...file, text: { ...file.text, bias: 'x' } }));
    expect(e.code).toBe('PACK_INVALID');
    expect(e.message).toMatch(/text\.bias/);
    expect(e.hint).toMatch(/memeguard train/);
  });
  it('refuses broken JSON, inconsistent weights and duplicate fusion names', async () => {
    expect((await refusal('{')).code).toBe('PACK_INVALID');
    const bad = await refusal(JSON.stringify({ ...file, text: { ...file.text, dim: 3 } }));
    expect(bad.message).toMatch(/2 weights for dim 3/);
    const dup = await refusal(JSON.stringify({ ...file, fusions: [file.fusions[0], file.fusions[0]] }));
    expect(dup.message).toMatch(/"stack" is used twice/);
  });
  it('a missing heads file is PACK_MISSING naming the file and `memeguard train`', async () => {
    const d = await tmp();
    const e = (await readHeads(path.join(d, 'nope.json')).catch((x: unknown) => x)) as MemeguardError;
    expect(e.code).toBe('PACK_MISSING');
    expect(e.message).toContain('nope.json');
    expect(e.hint).toMatch(/memeguard train --data DIR/);
  });
});
