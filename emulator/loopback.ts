/** The lifecycle the emulator's servers share: listen on 127.0.0.1, and close with every connection ended. */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface Loopback {
  /** Listens on 127.0.0.1 (`port` 0: any free port); resolves to `http://127.0.0.1:<port>`. */
  listen(port?: number): Promise<string>;
  /** Remembers a socket (e.g. a tunnel's upstream) so that `close()` ends it too. */
  track(socket: Socket): void;
  /** Closes the server and every connection, keep-alive and tunnelled ones included. */
  close(): Promise<void>;
}

export function loopback(server: Server, name: string): Loopback {
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  server.on('connection', track);
  return {
    track,
    async listen(port = 0) {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error(`${name}: no TCP address`);
      return `http://127.0.0.1:${address.port}`;
    },
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
