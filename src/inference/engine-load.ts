/** Loads a pack's models for the Engine with the runners of src/inference/models/. */
import { loadImageModel } from './models/image-model.js';
import { loadTextModel } from './models/text-model.js';
import { sessionSettingsFromEnv, type SessionSettings } from './onnx/session.js';
import type { LoadedModels } from './engine-models.js';
import type { PackLocation } from './pack/load.js';
import type { DeviceName } from './types.js';

export async function loadModels(pack: PackLocation, opts: { device?: DeviceName; threads?: number }): Promise<LoadedModels> {
  const env = sessionSettingsFromEnv();
  const settings: SessionSettings = {
    ...env,
    device: opts.device ?? env.device,
    intraOpThreads: opts.threads ?? env.intraOpThreads,
  };
  const [text, image] = await Promise.all([
    pack.json.text ? loadTextModel(pack.dir, pack.json.text, settings) : undefined,
    pack.json.image ? loadImageModel(pack.dir, pack.json.image, settings) : undefined,
  ]);
  const device: DeviceName = text?.device ?? image?.device ?? (settings.device === 'cuda' ? 'cuda' : 'cpu');
  return {
    text,
    image: image ? { runner: image, preprocess: image.preprocessor } : undefined,
    device,
  };
}
