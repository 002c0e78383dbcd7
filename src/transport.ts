/**
 * The action's one HTTP dispatcher: keep-alive, HTTP/1.1, and the proxy variables. Every request goes through it,
 * the calls to Huawei Cloud and the check-run calls to GitHub alike.
 */
import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';

/** Proxy variables, either case; an empty one counts as unset (undici would let an empty `no_proxy` win). */
export function proxySettings(env: Readonly<Record<string, string | undefined>>): {
  httpProxy?: string;
  httpsProxy?: string;
  noProxy?: string;
} {
  const read = (name: string) => env[name.toLowerCase()] || env[name] || undefined;
  const httpProxy = read('HTTP_PROXY');
  return { httpProxy, httpsProxy: read('HTTPS_PROXY') ?? httpProxy, noProxy: read('NO_PROXY') ?? '' };
}

/**
 * A keep-alive dispatcher that honours HTTPS_PROXY, HTTP_PROXY and NO_PROXY. HTTP/1.1 only, towards a proxy too:
 * undici would otherwise offer HTTP/2 to TLS endpoints, a path no test here exercises.
 */
export function createDispatcher(
  env: Readonly<Record<string, string | undefined>>,
  requestTimeoutMs: number,
): Dispatcher {
  const agent = {
    keepAliveTimeout: 60_000,
    connectTimeout: Math.min(requestTimeoutMs, 10_000),
    allowH2: false,
  };
  const proxy = proxySettings(env);
  if (!proxy.httpProxy && !proxy.httpsProxy) return new Agent(agent);
  return new EnvHttpProxyAgent({ ...agent, ...proxy, proxyTls: { allowH2: false } });
}
