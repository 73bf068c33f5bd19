/**
 * A tiny structured logger: one JSON line per event on stderr (MEMEGUARD_LOG=debug|info|warn|error|silent).
 * Values that look like secrets (tokens, authorization headers) are redacted before printing.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level | 'silent', number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

const SECRET_KEY = /token|secret|authorization|password|api[_-]?key/i;
const SECRET_VALUE = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|hf_[A-Za-z0-9]{10,}|Bearer\s+\S+|Bot\s+[A-Za-z0-9._-]{20,})/g;

export function redact(value: unknown, key = ''): unknown {
  if (SECRET_KEY.test(key) && value !== undefined && value !== null && value !== '') return '[redacted]';
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[redacted]');
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

function threshold(): number {
  const env = (process.env.MEMEGUARD_LOG ?? 'info').toLowerCase();
  return ORDER[env as Level] ?? ORDER.info;
}

function write(level: Level, msg: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold()) return;
  const line = { time: new Date().toISOString(), level, msg: redact(msg), ...(fields ? (redact(fields) as object) : {}) };
  process.stderr.write(JSON.stringify(line) + '\n');
}

export const logger = {
  debug: (msg: string, fields?: Record<string, unknown>) => write('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => write('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => write('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => write('error', msg, fields),
};
