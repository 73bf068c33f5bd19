import { describe, expect, it } from 'vitest';
import { MemeguardError } from '../../src/errors.js';
import { applySetting, defaultSettings, describeSettings } from '../../src/bot/settings.js';

describe('settings', () => {
  it('parses each key from what a person types', () => {
    let s = defaultSettings();
    s = applySetting(s, 'threshold', '0.7');
    s = applySetting(s, 'action', 'Delete');
    s = applySetting(s, 'enabled', 'off');
    s = applySetting(s, 'watched-channels', '<#111>, 222 <#C333|general>');
    s = applySetting(s, 'exempt-roles', '<@&444>');
    s = applySetting(s, 'mod-log-channel', '<#555>');
    s = applySetting(s, 'explanations', 'mod-only');
    expect(s).toEqual({
      enabled: false,
      threshold: 0.7,
      action: 'delete',
      watchedChannels: ['111', '222', 'C333'],
      ignoredChannels: [],
      exemptRoles: ['444'],
      modLogChannel: '555',
      explanations: 'mod-only',
    });
    s = applySetting(s, 'threshold', 'default');
    s = applySetting(s, 'watched-channels', 'none');
    s = applySetting(s, 'mod-log-channel', 'none');
    expect(s).toMatchObject({ threshold: null, watchedChannels: [], modLogChannel: null });
    expect(describeSettings(s)).toContain('watched-channels: all');
  });

  it.each([
    ['threshold', '1.5'],
    ['threshold', 'high'],
    ['action', 'ban'],
    ['enabled', 'maybe'],
    ['explanations', 'secret'],
    ['mod-log-channel', '1 2'],
    ['watched-channels', 'bad/id'],
  ] as const)('refuses %s = %s with a BAD_INPUT line naming the key', (key, value) => {
    try {
      applySetting(defaultSettings(), key, value);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(MemeguardError);
      expect((e as MemeguardError).code).toBe('BAD_INPUT');
      expect((e as MemeguardError).toLine()).toContain(key);
      expect((e as MemeguardError).toLine()).not.toContain('\n');
    }
  });
});
