/** Bolt's and the Web API client's log lines go through memeguard's logger (JSON lines, secrets redacted). */
import { LogLevel, type Logger } from '@slack/bolt';
import { logger } from '../../log.js';

export function boltLogger(): Logger {
  let level: LogLevel = LogLevel.WARN;
  let name = 'slack';
  const line = (msgs: unknown[]) => msgs.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msgs: unknown[]) => logger.debug(line(msgs), { source: name }),
    info: (...msgs: unknown[]) => logger.info(line(msgs), { source: name }),
    warn: (...msgs: unknown[]) => logger.warn(line(msgs), { source: name }),
    error: (...msgs: unknown[]) => logger.error(line(msgs), { source: name }),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      name = n;
    },
  };
}
