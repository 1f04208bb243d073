import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/index.js';
import { createLogger } from '../log/index.js';
import { listenWithFallback } from './listen.js';

const open: Server[] = [];
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});
const bind = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => {
      open.push(s);
      resolve((s.address() as AddressInfo).port);
    });
  });

describe('listenWithFallback [architecture: runtime contract]', () => {
  it('a taken default port moves to the next free one and says so once', async () => {
    const taken = await bind(0);
    const lines: string[] = [];
    const port = await listenWithFallback('test', { port: taken, explicit: false, setBy: 'SIGNER_PORT' }, bind, createLogger('info', (l) => lines.push(l)));
    expect(port).toBeGreaterThan(taken);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`default port ${taken} is taken; using ${port} \\(set SIGNER_PORT`));
  });
  it('a taken port the user chose is a start-up error naming the variable', async () => {
    const taken = await bind(0);
    await expect(listenWithFallback('test', { port: taken, explicit: true, setBy: 'SIGNER_PORT' }, bind, createLogger('silent'))).rejects.toThrow(
      new ConfigError(`test: port ${taken} is already in use; change SIGNER_PORT.`),
    );
  });
});
