/**
 * memeguard train --data DIR [--split train] [--models DIR] [--seed N] [--limit N] [--sample N] [--json]
 * Train the heads (text, image, stacking, concat-mlp) on a labelled split and write them into the pack.
 */
import { COMMON_OPTIONS, datasetOptions, interruptSignal } from './shared/dataset-options.js';
import { progressBar } from '../eval/progress.js';
import { runTraining, type TrainingRecord } from '../eval/training.js';
import { openFraction, parseCommandLine, positiveInt } from './shared/args.js';

const USAGE = `usage: memeguard train --data DIR [options]
  --data DIR         a data set: Hateful Memes layout (img/ + train.jsonl ...) or hateful/ + not_hateful/ folders
  --split NAME       the split to train on (default train; "all" for a flat folder-per-class data set)
  --models DIR       the model pack to write the heads into (default: $MEMEGUARD_MODELS, else models/default)
  --seed N           seed of the held-out split, the MLP and --sample (default 0): same seed, same heads
  --limit N          use the first N items only
  --sample N         use a seeded random N items
  --held-out F       fraction of the split held out to choose regularisation and stop the MLP (default 0.2)
  --epochs N         most MLP epochs (default 200; early stopping usually ends sooner)
  --hidden N         hidden units of the concat-mlp (default 64)
  --cache DIR        feature cache (default: $MEMEGUARD_CACHE_DIR, else ~/.cache/memeguard/features)
  --no-cache         do not read or write the feature cache
  --json             print the training record as one JSON object`;

function pct(x: number | null): string {
  return x === null ? 'n/a' : x.toFixed(3);
}

export function formatTrainingSummary(headsPath: string, r: TrainingRecord): string {
  const lines = [
    `wrote ${headsPath}`,
    `trained on ${r.sizes.items} items of split ${r.split} (${r.classBalance.hateful} hateful, ${(r.classBalance.hatefulFraction * 100).toFixed(1)}%): ${r.sizes.fit} fit, ${r.sizes.heldOut} held out`,
    `features: ${r.features.cached} from the cache, ${r.features.computed} computed; ${r.durationS.toFixed(1)} s`,
    '',
    'held-out   AUROC  accuracy@0.5',
  ];
  for (const [model, m] of Object.entries(r.heldOut)) lines.push(`${model.padEnd(10)} ${pct(m.auroc).padStart(6)}  ${m.accuracy.toFixed(3).padStart(12)}`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    {
      args: argv,
      options: {
        ...COMMON_OPTIONS,
        'held-out': { type: 'string' },
        epochs: { type: 'string' },
        hidden: { type: 'string' },
        json: { type: 'boolean' },
      },
      allowPositionals: false,
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const dataset = datasetOptions(values, USAGE);
  const epochs = positiveInt('epochs', values.epochs);
  const hidden = positiveInt('hidden', values.hidden);
  const heldOutFraction = openFraction('held-out', values['held-out']);
  // Loaded only now, so that usage errors and --help do not load ONNX Runtime.
  const { createEngine } = await import('../inference/engine.js');
  const engine = await createEngine({ packDir: values.models });
  const interrupt = interruptSignal();
  try {
    const out = await runTraining({
      engine,
      ...dataset,
      settings: {
        ...(heldOutFraction !== undefined ? { heldOutFraction } : {}),
        mlp: { ...(epochs !== undefined ? { maxEpochs: epochs } : {}), ...(hidden !== undefined ? { hidden } : {}) },
      },
      onProgress: progressBar('features'),
      onStage: (s) => process.stderr.write(`train: ${s}\n`),
      signal: interrupt.signal,
    });
    if (values.json) process.stdout.write(JSON.stringify({ heads: out.headsPath, training: out.record }) + '\n');
    else process.stdout.write(formatTrainingSummary(out.headsPath, out.record) + '\n');
    return 0;
  } finally {
    interrupt.dispose();
    await engine.close();
  }
}
