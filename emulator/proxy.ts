/**
 * A small forward proxy on loopback for tests: tunnels CONNECT and forwards absolute-form requests,
 * recording each target. Lets a test prove the action's requests went through HTTP(S)_PROXY.
 */
import { createServer, type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { type Loopback, loopback } from './loopback.ts';

export class TestProxy {
  /** `CONNECT host:port` or `GET http://host:port/path`, in arrival order. */
  readonly seen: string[] = [];
  private server: Loopback | undefined;

  async start(): Promise<string> {
    const server = createServer((req, res) => {
      this.seen.push(`${req.method} ${req.url}`);
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
    });
    const lifecycle = loopback(server, 'TestProxy');
    server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      this.seen.push(`CONNECT ${req.url}`);
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
    return lifecycle.listen();
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }
}
