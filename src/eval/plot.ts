import sharp from 'sharp';
import type { EvaluationReport } from './evaluate.js';
import { rocCurve } from './metrics.js';

/** ROC curves of every row of a report: an SVG, rasterised to PNG with sharp. */

const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export interface RocSeries {
  model: string;
  auroc: number | null;
  points: { fpr: number; tpr: number }[];
}

export function rocSeries(report: EvaluationReport): RocSeries[] {
  const labels = report.predictions.map((p) => p.label ?? 0);
  return report.rows.map((row) => {
    const scores = report.predictions.map((p) => p.scores[row.model] ?? 0.5);
    return { model: row.model, auroc: row.auroc, points: rocCurve(scores, labels) ?? [] };
  });
}

export function renderRocSvg(report: EvaluationReport, size = { width: 720, height: 560 }): string {
  const { width, height } = size;
  const left = 70;
  const top = 50;
  const plot = Math.min(width - left - 30, height - top - 60);
  const x = (fpr: number) => left + fpr * plot;
  const y = (tpr: number) => top + (1 - tpr) * plot;
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(
    `<text x="${width / 2}" y="28" font-family="DejaVu Sans, sans-serif" font-size="18" text-anchor="middle">${esc(
      `ROC — split ${report.split}, n=${report.n}, pack ${report.pack.name}`,
    )}</text>`,
  );
  // Grid and ticks.
  for (let k = 0; k <= 10; k++) {
    const v = k / 10;
    parts.push(`<line x1="${x(v)}" y1="${y(0)}" x2="${x(v)}" y2="${y(1)}" stroke="#eeeeee"/>`);
    parts.push(`<line x1="${x(0)}" y1="${y(v)}" x2="${x(1)}" y2="${y(v)}" stroke="#eeeeee"/>`);
    if (k % 2 === 0) {
      parts.push(`<text x="${x(v)}" y="${y(0) + 18}" font-family="DejaVu Sans, sans-serif" font-size="12" text-anchor="middle">${v.toFixed(1)}</text>`);
      parts.push(`<text x="${x(0) - 8}" y="${y(v) + 4}" font-family="DejaVu Sans, sans-serif" font-size="12" text-anchor="end">${v.toFixed(1)}</text>`);
    }
  }
  parts.push(`<rect x="${x(0)}" y="${y(1)}" width="${plot}" height="${plot}" fill="none" stroke="#000000" stroke-width="1.5"/>`);
  parts.push(
    `<text x="${x(0.5)}" y="${y(0) + 42}" font-family="DejaVu Sans, sans-serif" font-size="14" text-anchor="middle">false positive rate</text>`,
  );
  parts.push(
    `<text transform="translate(${x(0) - 45} ${y(0.5)}) rotate(-90)" font-family="DejaVu Sans, sans-serif" font-size="14" text-anchor="middle">true positive rate</text>`,
  );
  // Chance diagonal.
  parts.push(`<line x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#888888" stroke-dasharray="6 4"/>`);
  const series = rocSeries(report);
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const d = s.points.map((p, k) => `${k === 0 ? 'M' : 'L'}${x(p.fpr).toFixed(2)},${y(p.tpr).toFixed(2)}`).join(' ');
    parts.push(`<path d="${d}" fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="2.5"/>`);
  });
  // Legend, lower right inside the plot.
  const lh = 20;
  const lw = 250;
  const lx = x(1) - lw - 10;
  const ly = y(0) - series.length * lh - 16;
  parts.push(`<rect x="${lx}" y="${ly}" width="${lw}" height="${series.length * lh + 10}" fill="#ffffff" fill-opacity="0.9" stroke="#999999"/>`);
  series.forEach((s, i) => {
    const yy = ly + 8 + i * lh + lh / 2;
    parts.push(`<line x1="${lx + 10}" y1="${yy}" x2="${lx + 40}" y2="${yy}" stroke="${COLORS[i % COLORS.length]}" stroke-width="3"/>`);
    const auc = s.auroc === null ? 'AUROC n/a' : `AUROC ${s.auroc.toFixed(3)}`;
    parts.push(`<text x="${lx + 48}" y="${yy + 4}" font-family="DejaVu Sans, sans-serif" font-size="13">${esc(`${s.model} (${auc})`)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join('')}</svg>`;
}

export const ROC_COLORS = COLORS;

export async function renderRocPng(report: EvaluationReport): Promise<Buffer> {
  return sharp(Buffer.from(renderRocSvg(report))).png().toBuffer();
}
