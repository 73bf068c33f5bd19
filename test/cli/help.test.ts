import { describe, expect, it } from 'vitest';
import { runCli } from '../inference/engine/cli-helper.js';

const COMMANDS = ['check', 'embed', 'ocr', 'models', 'train', 'evaluate', 'serve', 'bench'];

describe('memeguard --help', () => {
  it('lists every command, and every models subcommand (demo included)', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
    const models = r.stdout.split('\n').find((l) => l.startsWith('  models '));
    for (const sub of ['pull', 'verify', 'list', 'demo']) expect(models).toContain(sub);
  });

  it.each(COMMANDS)('memeguard %s --help: usage on stdout, exit 0, nothing on stderr', async (c) => {
    const r = await runCli([c, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage/);
    expect(r.stderr).toBe('');
  });

  it('an unknown command is one line on stderr, exit 1', async () => {
    const r = await runCli(['nosuch']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringContaining('unknown command "nosuch"')]);
  });
});
