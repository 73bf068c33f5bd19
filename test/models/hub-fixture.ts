import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadRecipe } from '../../src/models/recipe.js';
import { writeTinyPack } from '../../src/synth/pack.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';

/**
 * The shipped recipes' repos, served by the fake hub with generated tiny models in their place:
 * Xenova/bert-base-uncased (fill-mask export), Xenova/toxic-bert (classifier), Xenova/resnet-152 (encoder), each at
 * the revision its recipe pins. Every repo also has an int8 file (toxic-bert a real dynamic-int8 export, the others
 * a copy of the fp32 graph), so `--variant int8` works; fp16 is missing, so a pull of it fails with a 404.
 */
export interface HubFixture {
  hub: FakeHub;
  work: string;
  /** Folder of each repo's files. */
  repoDirs: Record<string, string>;
  close(): Promise<void>;
}

export async function startRecipeHub(): Promise<HubFixture> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'mg-hub-'));
  const plain = await writeTinyPack(path.join(work, 'src-default'), { text: 'fill-mask', image: 'encoder', heads: false, seed: 3 });
  // toxic-bert gets a real dynamic-int8 export (onnx/model_quantized.onnx), as on the hub.
  const toxic = await writeTinyPack(path.join(work, 'src-starter'), { text: 'classifier', image: null, heads: false, seed: 5, quantized: true });
  const repoDirs = {
    'Xenova/bert-base-uncased': path.join(plain, 'text'),
    'Xenova/resnet-152': path.join(plain, 'image'),
    'Xenova/toxic-bert': path.join(toxic, 'text'),
  };
  for (const dir of Object.values(repoDirs)) {
    const int8 = path.join(dir, 'onnx', 'model_quantized.onnx');
    // Where the generator has no int8 export, the fp32 graph under the int8 name stands in for it.
    if (!(await stat(int8).then(() => true, () => false))) await copyFile(path.join(dir, 'onnx', 'model.onnx'), int8);
  }
  const pins: Record<string, string> = {};
  for (const name of ['default', 'starter']) {
    const { recipe } = await loadRecipe(name);
    for (const m of [recipe.text, recipe.image]) if (m) pins[m.repo] = m.revision;
  }
  const hub = await startFakeHub({
    // Like the hub's .gitattributes: ONNX files are LFS files, the JSON and text files are regular git files.
    lfsThreshold: 10_000_000,
    repos: Object.fromEntries(
      Object.entries(repoDirs).map(([repo, dir]) => {
        const pin = pins[repo];
        const commit = pin && /^[0-9a-f]{40}$/.test(pin) ? pin : undefined;
        return [repo, { dir, commit }];
      }),
    ),
  });
  return {
    hub,
    work,
    repoDirs,
    async close() {
      await hub.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
