import type { ReviewButton, ReviewDecision } from './types.js';

/**
 * Custom ids of the review buttons: `mg:review:<decision>:<judgementId>`. Every platform echoes the id back on a
 * click (Discord custom_id, Slack action_id/value), so the adapter only has to call `parseReviewId`.
 */
const PREFIX = 'mg:review:';
const DECISIONS: readonly ReviewDecision[] = ['confirm', 'not_hateful', 'delete'];

/** The custom id of the button that cancels a running evaluation. */
export const CANCEL_EVALUATION_ID = 'mg:evaluate:cancel';

export function reviewId(decision: ReviewDecision, judgementId: number): string {
  return `${PREFIX}${decision}:${judgementId}`;
}

/** The decision and judgement a custom id names, or null when it is not a review button's id. */
export function parseReviewId(customId: string): { decision: ReviewDecision; judgementId: number } | null {
  if (!customId.startsWith(PREFIX)) return null;
  const [decision, id] = customId.slice(PREFIX.length).split(':');
  if (!DECISIONS.includes(decision as ReviewDecision)) return null;
  if (!id || !/^[1-9][0-9]{0,15}$/.test(id)) return null;
  return { decision: decision as ReviewDecision, judgementId: Number(id) };
}

/** The three buttons of a mod-log entry. */
export function reviewButtons(judgementId: number): ReviewButton[] {
  return [
    { decision: 'confirm', label: 'Confirm', customId: reviewId('confirm', judgementId), style: 'danger' },
    { decision: 'not_hateful', label: 'Not hateful', customId: reviewId('not_hateful', judgementId), style: 'secondary' },
    { decision: 'delete', label: 'Delete', customId: reviewId('delete', judgementId), style: 'primary' },
  ];
}
