import { ConfigError, type PortConfig } from '../config/index.js';
import type { Logger } from '../log/index.js';

/**
 * Binds a listener. A default port that is taken moves to the next free one (logged once);
 * a port the user chose that is taken is a start-up error naming the setting to change.
 */
export async function listenWithFallback(
  what: string,
  port: PortConfig,
  bind: (port: number) => Promise<number>,
  logger: Logger,
): Promise<number> {
  const tries = port.explicit || port.port === 0 ? 1 : 50;
  for (let i = 0; i < tries; i++) {
    const candidate = port.port + i;
    try {
      const bound = await bind(candidate);
      if (i > 0) logger.warn(`${what}: default port ${port.port} is taken; using ${bound} (set ${port.setBy} to choose one)`);
      return bound;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      if (port.explicit) throw new ConfigError(`${what}: port ${port.port} is already in use; change ${port.setBy}.`);
    }
  }
  throw new ConfigError(`${what}: no free port from ${port.port} to ${port.port + tries - 1}; set ${port.setBy}.`);
}
