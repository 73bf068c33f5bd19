import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder, attr, decodeModel, tensorValues, varint } from '../../../src/synth/onnx/builder.js';
import { onnx } from '../../../src/synth/onnx/proto.js';
import { mulberry32, normalArray, streamFor } from '../../../src/synth/onnx/random.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-builder-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

/** y = relu(x @ W + b) with a dynamic batch axis. */
function tinyLinear(lazy: boolean) {
  const g = new GraphBuilder({ opset: 14 });
  const W = Float32Array.from([1, -2, 0.5, 3, -1, 2]); // [3, 2]
  const b = Float32Array.from([0.25, -0.5]);
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('W', [3, 2], lazy ? () => W.slice() : W);
  const mm = g.node('MatMul', [x, w]);
  const y = g.node('Relu', [g.node('Add', [mm, g.initializer('b', [2], b)])], {}, 'y');
  g.output(y, 'float32', ['batch', 2]);
  return { g, W, b };
}

describe('varint', () => {
  it('encodes protobuf varints', () => {
    expect([...varint(0)]).toEqual([0]);
    expect([...varint(127)]).toEqual([127]);
    expect([...varint(300)]).toEqual([0xac, 0x02]);
    expect([...varint(2 ** 32)]).toEqual([0x80, 0x80, 0x80, 0x80, 0x10]);
  });
});

describe('GraphBuilder', () => {
  it('writes a model that protobufjs decodes with IR 8, the opset, dynamic axes and raw_data initializers', () => {
    const { g, W } = tinyLinear(false);
    const model = decodeModel(g.toBuffer());
    expect(Number(model.irVersion)).toBe(8);
    expect(Number(model.opsetImport[0].version)).toBe(14);
    const graph = onnx.GraphProto.fromObject(model.graph!);
    expect(graph.input[0].name).toBe('x');
    expect(graph.input[0].type!.tensorType!.shape!.dim![0].dimParam).toBe('batch');
    expect(graph.output[0].name).toBe('y');
    expect(graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add', 'Relu']);
    const w = graph.initializer.find((t) => t.name === 'W')!;
    expect(w.dims!.map(Number)).toEqual([3, 2]);
    expect(Array.from(tensorValues(w) as Float32Array)).toEqual(Array.from(W));
  });

  it('lazy tensor data, eager data and the streamed file give identical bytes', async () => {
    const eager = tinyLinear(false).g.toBuffer();
    const lazy = tinyLinear(true).g.toBuffer();
    expect(Buffer.compare(eager, lazy)).toBe(0);
    const file = path.join(tmp, 'lin.onnx');
    const n = await tinyLinear(true).g.writeFile(file);
    expect(n).toBe(eager.length);
    expect(Buffer.compare(await readFile(file), eager)).toBe(0);
  });

  it('runs in onnxruntime and computes what the graph says', async () => {
    const { g, W, b } = tinyLinear(false);
    const session = await ort.InferenceSession.create(g.toBuffer());
    const x = Float32Array.from([1, 2, 3, -1, 0.5, 2]);
    const out = await session.run({ x: new ort.Tensor('float32', x, [2, 3]) });
    const y = out.y.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      for (let c = 0; c < 2; c++) {
        let z = b[c];
        for (let k = 0; k < 3; k++) z += x[r * 3 + k] * W[k * 2 + c];
        expect(y[r * 2 + c]).toBeCloseTo(Math.max(0, z), 5);
      }
    }
  });

  it('encodes int, ints and float attributes', async () => {
    const g = new GraphBuilder();
    const x = g.input('x', 'float32', ['n', 4]);
    const t = g.node('Transpose', [x], { perm: attr.ints([1, 0]) });
    const y = g.node('LeakyRelu', [t], { alpha: attr.float(0.5) }, 'y');
    g.output(y, 'float32', [4, 'n']);
    const session = await ort.InferenceSession.create(g.toBuffer());
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, -2, 3, -4]), [1, 4]) });
    expect(out.y.dims).toEqual([4, 1]);
    expect(Array.from(out.y.data as Float32Array)).toEqual([1, -1, 3, -2]);
  });

  it('refuses a tensor name used twice and data of the wrong length', () => {
    const g = new GraphBuilder();
    g.initializer('w', [2], Float32Array.from([1, 2]));
    expect(() => g.initializer('w', [2], Float32Array.from([1, 2]))).toThrow(/used twice/);
    const h = new GraphBuilder();
    h.initializer('w', [3], Float32Array.from([1, 2]));
    expect(() => h.toBuffer()).toThrow(/2 values for dims \[3\]/);
  });
});

describe('random', () => {
  it('is deterministic per seed and per tensor name, and roughly N(0, std²)', () => {
    expect(Array.from(normalArray(5, 1, streamFor(7, 'a')))).toEqual(Array.from(normalArray(5, 1, streamFor(7, 'a'))));
    expect(normalArray(5, 1, streamFor(7, 'a'))[0]).not.toBe(normalArray(5, 1, streamFor(8, 'a'))[0]);
    expect(normalArray(5, 1, streamFor(7, 'a'))[0]).not.toBe(normalArray(5, 1, streamFor(7, 'b'))[0]);
    const xs = normalArray(20000, 2, mulberry32(3));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(sd).toBeGreaterThan(1.9);
    expect(sd).toBeLessThan(2.1);
  });
});
