import path from 'node:path';
import os from 'node:os';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createModelSession, sessionSettingsFromEnv } from '../../src/inference/onnx/session.js';
import { generateModelFolder } from '../../src/synth/onnx/model-folder.js';

const tmp = await mkdtemp(path.join(os.tmpdir(), 'mg-bench-spin-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

describe('MEMEGUARD_ORT_SPIN (onnxruntime allow_spinning, tuned by bench)', () => {
  it('is read from the environment, unset by default, and refuses nonsense with USAGE', () => {
    expect(sessionSettingsFromEnv({}).allowSpinning).toBeUndefined();
    expect(sessionSettingsFromEnv({ MEMEGUARD_ORT_SPIN: '0' }).allowSpinning).toBe(false);
    expect(sessionSettingsFromEnv({ MEMEGUARD_ORT_SPIN: 'on' }).allowSpinning).toBe(true);
    expect(() => sessionSettingsFromEnv({ MEMEGUARD_ORT_SPIN: 'maybe' })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('sessions start and run with spinning off and on', async () => {
    const folder = await generateModelFolder(path.join(tmp, 'image'), { model: 'resnet' });
    const bytes = new Uint8Array(await readFile(folder.onnxPath));
    for (const allowSpinning of [false, true]) {
      const s = await createModelSession(bytes, folder.onnxPath, { device: 'cpu', intraOpThreads: 1, allowSpinning });
      const { Tensor } = await import('onnxruntime-node');
      const out = await s.session.run({ pixel_values: new Tensor('float32', new Float32Array(3 * 224 * 224), [1, 3, 224, 224]) });
      expect(out.logits.dims).toEqual([1, 1000]);
      await s.session.release();
    }
  });
});
