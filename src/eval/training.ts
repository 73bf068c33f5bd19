import { MemeguardError } from '../errors.js';
import { readPack } from '../inference/pack/load.js';
import type { Engine } from '../inference/types.js';
import { labelsOf, readDataset } from './dataset.js';
import { computeFeatures, type DatasetRunOptions } from './features.js';
import { featureFingerprint } from './fingerprint.js';
import { writePackHeads } from './heads-io.js';
import { DEFAULT_TRAIN_SETTINGS, trainHeads, type StageCallback, type TrainResult, type TrainSettings } from './train.js';

export interface RunTrainingOptions extends DatasetRunOptions {
  settings?: Partial<Omit<TrainSettings, 'seed' | 'mlp'>> & { mlp?: Partial<TrainSettings['mlp']> };
  /** Feature cache folder; null disables it. */
  cacheDir: string | null;
  onStage?: StageCallback;
}

export interface TrainingRecord {
  data: string;
  layout: string;
  split: string;
  sizes: { items: number; splitTotal: number; fit: number; heldOut: number };
  classBalance: { hateful: number; notHateful: number; hatefulFraction: number };
  settings: TrainSettings & { limit?: number; sample?: number };
  chosen: TrainResult['chosen'];
  heldOut: TrainResult['heldOut'];
  missingEmbeddings: TrainResult['missing'];
  packFingerprint: string;
  featureFingerprint: string;
  features: { cached: number; computed: number };
  startedAt: string;
  finishedAt: string;
  durationS: number;
}

export interface TrainingOutcome {
  headsPath: string;
  result: TrainResult;
  record: TrainingRecord;
}

/** Read a split, compute (or reuse) its features, train every head and write them into the engine's pack. */
export async function runTraining(opts: RunTrainingOptions): Promise<TrainingOutcome> {
  const started = new Date();
  const seed = opts.seed ?? DEFAULT_TRAIN_SETTINGS.seed;
  const settings: TrainSettings = {
    ...DEFAULT_TRAIN_SETTINGS,
    ...opts.settings,
    seed,
    mlp: { ...DEFAULT_TRAIN_SETTINGS.mlp, ...opts.settings?.mlp },
  };
  const pack = await readPack(opts.engine.info.packDir);
  const ds = await readDataset(opts.dataDir, { split: opts.split, purpose: 'train', limit: opts.limit, sample: opts.sample, seed });
  const labels = labelsOf(ds.items);
  const hateful = labels.filter((l) => l === 1).length;
  if (hateful === 0 || hateful === labels.length) {
    throw new MemeguardError('DATASET_INVALID', `split "${ds.split}" of ${ds.dir} has only ${hateful === 0 ? 'not-hateful' : 'hateful'} items: training needs both`);
  }
  if (labels.length < 10) {
    throw new MemeguardError('DATASET_INVALID', `split "${ds.split}" has ${labels.length} items: training needs at least 10`);
  }
  const fingerprint = await featureFingerprint(pack);
  opts.onStage?.(`features of ${ds.items.length} items of ${ds.split} (${ds.dir})`);
  const { rows, stats } = await computeFeatures({
    engine: opts.engine,
    items: ds.items,
    cacheDir: opts.cacheDir,
    fingerprint,
    concurrency: opts.concurrency,
    onProgress: opts.onProgress,
    signal: opts.signal,
  });
  if (opts.signal?.aborted) throw new MemeguardError('CANCELLED', 'cancelled');
  const result = trainHeads(
    rows.map((r) => r.features),
    labels,
    pack.json,
    settings,
    opts.onStage,
  );
  if (!result.heads.text && !result.heads.image && result.heads.fusions.length === 0) {
    throw new MemeguardError('NO_HEADS', `nothing to train: the pack at ${pack.dir} has no encoder and can score by itself`);
  }
  const finished = new Date();
  const record: TrainingRecord = {
    data: ds.dir,
    layout: ds.layout,
    split: ds.split,
    sizes: { items: ds.items.length, splitTotal: ds.total, fit: result.sizes.fit, heldOut: result.sizes.heldOut },
    classBalance: { hateful, notHateful: labels.length - hateful, hatefulFraction: hateful / labels.length },
    settings: { ...settings, ...(opts.limit !== undefined ? { limit: opts.limit } : {}), ...(opts.sample !== undefined ? { sample: opts.sample } : {}) },
    chosen: result.chosen,
    heldOut: result.heldOut,
    missingEmbeddings: result.missing,
    packFingerprint: opts.engine.info.fingerprint,
    featureFingerprint: fingerprint,
    features: stats,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationS: (finished.getTime() - started.getTime()) / 1000,
  };
  result.heads.training = record as unknown as Record<string, unknown>;
  const headsPath = await writePackHeads(pack.dir, result.heads);
  return { headsPath, result, record };
}
