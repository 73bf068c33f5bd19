import { fingerprintFiles, modelFiles } from '../inference/pack/fingerprint.js';
import type { PackLocation } from '../inference/pack/load.js';

/**
 * The fingerprint of what decides a pack's *features* (embeddings, and classifier scores): the text and image
 * model settings in pack.json and their model folders' ONNX, config, tokenizer and preprocessor files — but not
 * the heads file nor the fusion settings. The feature cache keys on it, so that retraining the heads (which
 * changes engine.info.fingerprint) does not send the whole data set through the models again; scores of
 * encoder packs are recomputed from the current heads at evaluation time.
 */
export async function featureFingerprint(pack: PackLocation): Promise<string> {
  const settings = JSON.stringify({ v: 1, text: pack.json.text ?? null, image: pack.json.image ?? null });
  return fingerprintFiles(modelFiles(pack), settings);
}
