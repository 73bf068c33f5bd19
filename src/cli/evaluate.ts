/**
 * memeguard evaluate --data DIR [--split dev_seen] [--models DIR] [--json] [--predictions FILE] [--plot FILE.png]
 *                    [--limit N] [--sample N]
 * Accuracy, AUROC, precision, recall, F1 and confusion of each modality and each fusion on a labelled split.
 */
import { writeFile } from 'node:fs/promises';
import { MemeguardError } from '../errors.js';
import { COMMON_OPTIONS, datasetOptions, interruptSignal } from './shared/dataset-options.js';
import { formatReportTable, predictionsJsonl, reportJson, runEvaluation } from '../eval/evaluate.js';
import { renderRocPng } from '../eval/plot.js';
import { progressBar } from '../eval/progress.js';
import { parseCommandLine } from './shared/args.js';

const USAGE = `usage: memeguard evaluate --data DIR [options]
  --data DIR           a data set: Hateful Memes layout (img/ + dev_seen.jsonl ...) or hateful/ + not_hateful/ folders
  --split NAME         the labelled split (default dev_seen, or dev; "all" for a flat folder-per-class data set)
  --models DIR         the model pack (default: $MEMEGUARD_MODELS, else models/default)
  --json               print one JSON object {"split","n","rows":[...]} instead of the table
  --predictions FILE   write one JSON line per item: {"id","label","scores":{...}}; with it, a split
                       without labels (test_unseen ...) is scored (label null) instead of refused
  --plot FILE.png      draw the ROC curve of every row
  --limit N            use the first N items only
  --sample N           use a seeded random N items (--seed, default 0)
  --seed N             seed of --sample
  --cache DIR          feature cache (default: $MEMEGUARD_CACHE_DIR, else ~/.cache/memeguard/features)
  --no-cache           do not read or write the feature cache`;

async function writeOutput(file: string, data: string | Buffer, what: string): Promise<void> {
  try {
    await writeFile(file, data);
  } catch (e) {
    throw new MemeguardError('BAD_INPUT', `cannot write the ${what} to ${file}: ${(e as Error).message}`);
  }
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandLine(
    {
      args: argv,
      options: { ...COMMON_OPTIONS, json: { type: 'boolean' }, predictions: { type: 'string' }, plot: { type: 'string' } },
      allowPositionals: false,
    },
    USAGE,
  );
  if (values.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const dataset = datasetOptions(values, USAGE);
  if (values.plot !== undefined && !/\.png$/i.test(values.plot)) {
    // Checked before the run, so a long evaluation never ends in a file of the wrong kind.
    throw new MemeguardError('USAGE', `--plot writes a PNG image: give a file name ending in .png, got "${values.plot}"`);
  }
  // Loaded only now, so that usage errors and --help do not load ONNX Runtime.
  const { createEngine } = await import('../inference/engine.js');
  const engine = await createEngine({ packDir: values.models });
  const interrupt = interruptSignal();
  try {
    const report = await runEvaluation({
      engine,
      ...dataset,
      // An unlabelled split (test_seen, test_unseen) can be scored into --predictions, without metrics.
      allowUnlabeled: values.predictions !== undefined,
      onProgress: progressBar('features'),
      signal: interrupt.signal,
    });
    if (values.predictions) await writeOutput(values.predictions, predictionsJsonl(report), 'predictions');
    if (values.plot) {
      if (report.rows.length === 0) process.stderr.write(`memeguard: no ROC plot: split ${report.split} has no labels\n`);
      else await writeOutput(values.plot, await renderRocPng(report), 'ROC plot');
    }
    process.stdout.write((values.json ? JSON.stringify(reportJson(report)) : formatReportTable(report)) + '\n');
    return 0;
  } finally {
    interrupt.dispose();
    await engine.close();
  }
}
