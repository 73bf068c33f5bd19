/** Reading Block Kit messages in tests. */

/** The buttons (action_id, value) of a Block Kit message. */
export function buttonsOf(blocks: unknown): { action_id: string; value?: string; block_id?: string; text: string }[] {
  const out: { action_id: string; value?: string; block_id?: string; text: string }[] = [];
  for (const block of (blocks as { type: string; block_id?: string; elements?: { type: string; action_id: string; value?: string; text: { text: string } }[] }[]) ?? []) {
    if (block.type !== 'actions') continue;
    for (const e of block.elements ?? []) if (e.type === 'button') out.push({ action_id: e.action_id, value: e.value, block_id: block.block_id, text: e.text.text });
  }
  return out;
}

/** All text of a Block Kit message (sections and contexts). */
export function textOf(message: { text?: unknown; blocks?: unknown }): string {
  const parts: string[] = [typeof message.text === 'string' ? message.text : ''];
  for (const block of (message.blocks as { text?: { text: string }; elements?: { text?: unknown }[] }[]) ?? []) {
    if (block.text?.text) parts.push(block.text.text);
    for (const e of block.elements ?? []) if (typeof e.text === 'string') parts.push(e.text);
  }
  return parts.join('\n');
}
