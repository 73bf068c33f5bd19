import { describe, expect, it } from 'vitest';
import { formatReportTable, type EvaluationReport } from '../../src/eval/evaluate.js';

function report(over: Partial<EvaluationReport>): EvaluationReport {
  return {
    split: 'test_unseen',
    n: 2,
    data: '/data/hm',
    layout: 'hateful-memes',
    pack: { dir: '/packs/p', name: 'p', fingerprint: 'f' },
    threshold: 0.5,
    rows: [],
    predictions: [
      { id: 1, label: null, scores: { text: 0.2 } },
      { id: 2, label: null, scores: { text: 0.9 } },
    ],
    warnings: ['split "test_unseen" has no labels: scores only, no metrics'],
    features: { cached: 0, computed: 2 },
    durationS: 0.1,
    ...over,
  };
}

describe('formatReportTable', () => {
  it('an unlabelled split (evaluate --predictions on a test split): no "0 hateful", no empty table', () => {
    const out = formatReportTable(report({}));
    expect(out.split('\n')).toEqual([
      'split test_unseen of /data/hm: 2 items (no labels), pack p, threshold 0.5',
      'note: split "test_unseen" has no labels: scores only, no metrics',
    ]);
  });

  it('a labelled split keeps its count of hateful items and its table', () => {
    const out = formatReportTable(
      report({
        split: 'dev_seen',
        predictions: [
          { id: 1, label: 0, scores: { text: 0.2 } },
          { id: 2, label: 1, scores: { text: 0.9 } },
        ],
        rows: [
          {
            model: 'text',
            accuracy: 1,
            auroc: 1,
            precision: 1,
            recall: 1,
            f1: 1,
            threshold: 0.5,
            confusion: { tp: 1, fp: 0, tn: 1, fn: 0 },
            best_threshold: 0.5,
            best_accuracy: 1,
            missing: 0,
          },
        ],
        warnings: [],
      }),
    );
    const lines = out.split('\n');
    expect(lines[0]).toBe('split dev_seen of /data/hm: 2 items (1 hateful), pack p, threshold 0.5');
    expect(lines[2]).toMatch(/^model\s+accuracy\s+AUROC/);
    expect(lines[4]).toMatch(/^text\s+1\.000\s+1\.000/);
  });
});
