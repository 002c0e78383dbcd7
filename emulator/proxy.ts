/**
 * A small forward proxy on loopback for tests: tunnels CONNECT and forwards absolute-form requests,
 * recording each target. Lets a test prove the action's requests went through HTTP(S)_PROXY. With `tls` it is an
 * HTTPS proxy and records the application protocols (ALPN) each client offers it.
 */
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type Socket } from 'node:net';
import { type Loopback, loopback } from './loopback.ts';

export interface TestProxyOptions {
  /** PEM key and certificate: the proxy speaks HTTPS (clients must trust the certificate). */
  tls?: { key: string; cert: string };
  /** Record each target and refuse it (403): nothing is reached (a test of where a client goes, offline). */
  offline?: boolean;
}

export class TestProxy {
  /** `CONNECT host:port` or `GET http://host:port/path`, in arrival order. */
  readonly seen: string[] = [];
  /** With `tls`: the ALPN protocols each TLS client offered, in arrival order (`[]` when it offered none). */
  readonly alpn: string[][] = [];
  private server: Loopback | undefined;
  private readonly options: TestProxyOptions;

  constructor(options: TestProxyOptions = {}) {
    this.options = options;
  }

  async start(): Promise<string> {
    const forward = (req: IncomingMessage, res: ServerResponse) => {
      this.seen.push(`${req.method} ${req.url}`);
      if (this.options.offline) {
        res.writeHead(403, { 'Content-Length': '0' }).end();
        return;
      }
      const target = new URL(req.url ?? '');
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method: req.method,
          headers: req.headers,
        },
        (answer: IncomingMessage) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    };
    const tls = this.options.tls;
    const server = tls
      ? createHttpsServer(
          {
            ...tls,
            // Speaks HTTP/1.1 only, like most proxies (undefined would refuse the connection).
            ALPNCallback: ({ protocols }) => {
              this.alpn.push(protocols);
              return protocols.includes('http/1.1') ? 'http/1.1' : undefined;
            },
          },
          forward,
        )
      : createServer(forward);
    const lifecycle = loopback(server, 'TestProxy');
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      this.seen.push(`CONNECT ${req.url}`);
      if (this.options.offline) {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      const [host, port] = (req.url ?? '').split(':');
      const upstream = connect(Number(port), host ?? '127.0.0.1', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      lifecycle.track(upstream);
      for (const s of [client, upstream]) s.on('error', () => s.destroy());
    });
    this.server = lifecycle;
    const url = await lifecycle.listen();
    return tls ? url.replace(/^http:/, 'https:') : url;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
