import { z } from 'zod';
import { MemeguardError } from '../errors.js';
import { formatZodIssues } from '../validation.js';
import type { SettingKey, WorkspaceSettings } from './types.js';

/** Per-workspace settings: the schema (stored JSON is validated on read), the defaults, and `config set` parsing. */

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id is letters, digits, _ or -');

export const workspaceSettingsSchema = z
  .object({
    enabled: z.boolean(),
    threshold: z.number().min(0).max(1).nullable(),
    action: z.enum(['log', 'flag', 'delete']),
    watchedChannels: z.array(id).max(500),
    ignoredChannels: z.array(id).max(500),
    exemptRoles: z.array(id).max(500),
    modLogChannel: id.nullable(),
    explanations: z.enum(['public', 'mod-only']),
  })
  .strict();

export const DEFAULT_SETTINGS: Readonly<WorkspaceSettings> = Object.freeze({
  enabled: true,
  threshold: null,
  action: 'flag',
  watchedChannels: [],
  ignoredChannels: [],
  exemptRoles: [],
  modLogChannel: null,
  explanations: 'public',
});

export function defaultSettings(): WorkspaceSettings {
  return { ...DEFAULT_SETTINGS, watchedChannels: [], ignoredChannels: [], exemptRoles: [] };
}

export const SETTING_KEYS: readonly SettingKey[] = [
  'enabled',
  'threshold',
  'action',
  'watched-channels',
  'ignored-channels',
  'exempt-roles',
  'mod-log-channel',
  'explanations',
];

/** What each key accepts, for help texts and command choices. */
export const SETTING_HELP: Record<SettingKey, string> = {
  enabled: 'true | false',
  threshold: 'a number from 0 to 1, or "default" for the model pack\'s',
  action: 'log | flag | delete',
  'watched-channels': 'channel ids or mentions separated by spaces/commas; "none" watches every channel',
  'ignored-channels': 'channel ids or mentions; "none" clears',
  'exempt-roles': 'role ids or mentions; "none" clears',
  'mod-log-channel': 'a channel id or mention; "none" turns the mod-log off',
  explanations: 'public | mod-only',
};

const CLEAR = new Set(['none', 'off', '-', '']);

/** Ids from "<#123>, <@&456> 789": mention syntax of Discord and Slack (<#C123|name>) is accepted. */
function parseIdList(value: string): string[] {
  if (CLEAR.has(value.trim().toLowerCase())) return [];
  return value
    .split(/[\s,]+/)
    .filter((s) => s.length > 0)
    .map((s) => s.replace(/^<[#@][&!]?/, '').replace(/(\|[^>]*)?>$/, ''));
}

function parseBoolean(value: string): unknown {
  const v = value.trim().toLowerCase();
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  return value;
}

/**
 * Apply `config set <key> <value>` to settings. Throws BAD_INPUT with one line naming the key and what it accepts.
 */
export function applySetting(settings: WorkspaceSettings, key: SettingKey, value: string): WorkspaceSettings {
  const next: WorkspaceSettings = { ...settings };
  const loose = next as unknown as Record<string, unknown>;
  const v = value.trim();
  switch (key) {
    case 'enabled':
      loose.enabled = parseBoolean(v);
      break;
    case 'threshold': {
      if (v.toLowerCase() === 'default') next.threshold = null;
      else loose.threshold = v === '' || Number.isNaN(Number(v)) ? v : Number(v);
      break;
    }
    case 'action':
      loose.action = v.toLowerCase();
      break;
    case 'watched-channels':
      next.watchedChannels = parseIdList(v);
      break;
    case 'ignored-channels':
      next.ignoredChannels = parseIdList(v);
      break;
    case 'exempt-roles':
      next.exemptRoles = parseIdList(v);
      break;
    case 'mod-log-channel': {
      const ids = parseIdList(v);
      if (ids.length > 1) throw new MemeguardError('BAD_INPUT', `mod-log-channel takes one channel, got ${ids.length}`);
      next.modLogChannel = ids[0] ?? null;
      break;
    }
    case 'explanations':
      loose.explanations = v.toLowerCase();
      break;
    default:
      throw new MemeguardError('BAD_INPUT', `unknown setting "${String(key)}"`, { hint: `one of: ${SETTING_KEYS.join(', ')}` });
  }
  const parsed = workspaceSettingsSchema.safeParse(next);
  if (!parsed.success) {
    throw new MemeguardError('BAD_INPUT', `invalid value for ${key}: ${formatZodIssues(parsed.error)}`, {
      hint: `${key} takes ${SETTING_HELP[key]}`,
    });
  }
  return parsed.data;
}

export function isSettingKey(key: string): key is SettingKey {
  return (SETTING_KEYS as readonly string[]).includes(key);
}

/** Settings as a few readable lines. */
export function describeSettings(s: WorkspaceSettings): string {
  const list = (ids: string[], empty: string) => (ids.length ? ids.join(', ') : empty);
  return [
    `enabled: ${s.enabled}`,
    `threshold: ${s.threshold ?? "model pack's default"}`,
    `action: ${s.action}`,
    `watched-channels: ${list(s.watchedChannels, 'all')}`,
    `ignored-channels: ${list(s.ignoredChannels, 'none')}`,
    `exempt-roles: ${list(s.exemptRoles, 'none')}`,
    `mod-log-channel: ${s.modLogChannel ?? 'none'}`,
    `explanations: ${s.explanations}`,
  ].join('\n');
}
