/**
 * Fusion rules on two probabilities (DESIGN.md, "Fusion").
 *
 * seed-sum, the seed's rule: hateful iff p_text + p_image > (1 - p_text) + (1 - p_image),
 * i.e. the mean of the two probabilities exceeds 0.5. Its score is that mean.
 */

export function seedSum(pText: number, pImage: number): number {
  return (pText + pImage) / 2;
}

/** The seed's decision, written the way the seed wrote it (sum of class probabilities). */
export function seedSumDecision(pText: number, pImage: number): boolean {
  return pText + pImage > 1 - pText + (1 - pImage);
}

export function weightedMean(pText: number, pImage: number, weights: { text: number; image: number }): number {
  const total = weights.text + weights.image;
  if (!(total > 0)) throw new Error('weighted-mean needs a positive weight');
  return (weights.text * pText + weights.image * pImage) / total;
}

/** hateful iff score > threshold (strictly, as the seed's rule at 0.5). */
export function isHateful(score: number, threshold: number): boolean {
  return score > threshold;
}
