import { afterAll, describe, expect, it } from 'vitest';
import {
  createModelSession,
  cudaProviderInstalled,
  ort,
  releaseSharedSessions,
  runSession,
  sessionSettingsFromEnv,
  sharedSession,
} from '../../../src/inference/onnx/session.js';
import { GraphBuilder } from '../../../src/synth/onnx/builder.js';

process.env.MEMEGUARD_LOG = 'silent';
afterAll(() => releaseSharedSessions());

function doubler(): Uint8Array {
  const g = new GraphBuilder();
  const x = g.input('x', 'float32', ['n']);
  g.output(g.node('Add', [x, x], {}, 'y'), 'float32', ['n']);
  return g.toBuffer();
}

describe('session settings from the environment', () => {
  it('reads MEMEGUARD_DEVICE and thread counts, refusing bad values with USAGE', () => {
    expect(sessionSettingsFromEnv({})).toEqual({ device: 'auto', intraOpThreads: undefined, interOpThreads: undefined });
    expect(sessionSettingsFromEnv({ MEMEGUARD_DEVICE: 'CPU', MEMEGUARD_ORT_THREADS: '2', MEMEGUARD_ORT_INTER_THREADS: '1' })).toEqual({
      device: 'cpu',
      intraOpThreads: 2,
      interOpThreads: 1,
    });
    expect(() => sessionSettingsFromEnv({ MEMEGUARD_DEVICE: 'tpu' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => sessionSettingsFromEnv({ MEMEGUARD_ORT_THREADS: 'many' })).toThrow(/MEMEGUARD_ORT_THREADS=many/);
  });
});

describe('createModelSession', () => {
  it('auto picks CUDA only when its provider is installed, else CPU; reports the device that runs', async () => {
    const s = await createModelSession(doubler(), 'doubler.onnx', { device: 'auto', intraOpThreads: 1 });
    expect(s.device).toBe(cudaProviderInstalled() ? 'cuda' : 'cpu');
    const out = await runSession(s, { x: new ort.Tensor('float32', Float32Array.from([1, 2.5]), [2]) }, ['y']);
    expect(Array.from(out.y.data as Float32Array)).toEqual([2, 5]);
    const cpu = await createModelSession(doubler(), 'doubler.onnx', { device: 'cpu' });
    expect(cpu.device).toBe('cpu');
  });

  it('a forced CUDA that cannot start is a USAGE error, not a silent CPU run', async () => {
    if (cudaProviderInstalled()) return; // on a CUDA machine the forced device works
    await expect(createModelSession(doubler(), 'doubler.onnx', { device: 'cuda' })).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('MEMEGUARD_DEVICE=cuda'),
    });
  });

  it('bytes that are not a model are MODEL_INVALID naming the file; run failures name it too', async () => {
    await expect(createModelSession(Buffer.from('nope'), '/x/model.onnx', { device: 'cpu' })).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('/x/model.onnx'),
    });
    const s = await createModelSession(doubler(), '/x/doubler.onnx', { device: 'cpu' });
    await expect(runSession(s, { x: new ort.Tensor('int64', BigInt64Array.from([1n]), [1]) }, ['y'])).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining('/x/doubler.onnx'),
    });
  });
});

describe('sharedSession', () => {
  it('creates one session per key and process; a failed creation is retried next time', async () => {
    let made = 0;
    const make = async () => {
      made++;
      return createModelSession(doubler(), 'doubler.onnx', { device: 'cpu' });
    };
    const [a, b] = await Promise.all([sharedSession('k1', make), sharedSession('k1', make)]);
    expect(a).toBe(b);
    expect(made).toBe(1);
    await expect(sharedSession('k2', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await new Promise((r) => setTimeout(r, 0));
    const c = await sharedSession('k2', make);
    expect(c.device).toBe('cpu');
  });
});
