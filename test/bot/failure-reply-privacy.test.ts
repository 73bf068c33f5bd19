import { describe, expect, it } from 'vitest';
import { Moderator } from '../../src/bot/moderator.js';
import { openSqliteStore } from '../../src/bot/store/sqlite.js';
import type { ImagePost, ModAction } from '../../src/bot/types.js';
import { MemeguardError } from '../../src/errors.js';
import { RecordingPort, RednessEngine, solidPng } from './helpers.js';

const ws = { platform: 'slack', workspaceId: 'T1' };
const SECRET_PATH = '/srv/memeguard/models/default/text/onnx/model.onnx';

/** An engine that fails the way a broken deployment does: the error names server internals. */
class BrokenEngine extends RednessEngine {
  constructor(private readonly error: Error) {
    super();
  }
  override async analyze(): Promise<never> {
    throw this.error;
  }
}

async function judgeWith(error: Error) {
  const store = openSqliteStore(':memory:');
  const moderator = new Moderator({ engine: new BrokenEngine(error), store });
  const admin = { ...ws, userId: 'admin', isAdmin: true, roles: [] };
  await moderator.handleCommand({ command: 'config-set', requester: admin, key: 'mod-log-channel', value: 'Cmods' }, new RecordingPort());
  const port = new RecordingPort(new Map([['files/meme.png', await solidPng(10, 200, 10)]]));
  const post: ImagePost = {
    ...ws,
    channelId: 'C1',
    messageId: '1.1',
    authorId: 'U1',
    authorIsBot: false,
    roles: [],
    images: [{ url: 'files/meme.png', name: 'meme.png' }],
  };
  const out = await moderator.handlePost(post, port);
  const reply = port.actions.find((a) => a.kind === 'reply') as Extract<ModAction, { kind: 'reply' }>;
  const note = port.actions.find((a) => a.kind === 'mod-note') as Extract<ModAction, { kind: 'mod-note' }>;
  await store.close();
  return { out, reply, note };
}

describe('what the poster is told when their image could not be judged', () => {
  it('an internal failure: a neutral sentence for the poster, the details only in the mod-log note', async () => {
    const { out, reply, note } = await judgeWith(new Error(`onnxruntime: cannot run ${SECRET_PATH}`));
    expect(out.failed.map((f) => f.code)).toEqual(['INTERNAL']);
    expect(reply.message.text).toContain('could not check “meme.png”');
    expect(reply.message.text).toContain("a problem on memeguard's side");
    expect(reply.message.text).not.toContain(SECRET_PATH);
    expect(note.text).toContain(SECRET_PATH);
  });

  it('a pack problem is not the poster\'s business either', async () => {
    const { reply } = await judgeWith(new MemeguardError('NO_HEADS', `the pack at ${SECRET_PATH} cannot score anything`));
    expect(reply.message.text).not.toContain(SECRET_PATH);
  });

  it('a problem with the poster\'s own file is still explained to them', async () => {
    const { reply } = await judgeWith(new MemeguardError('CORRUPT_IMAGE', 'the PNG file is corrupt or truncated'));
    expect(reply.message.text).toBe('memeguard could not check “meme.png”: the PNG file is corrupt or truncated');
  });
});
