/**
 * The action's one HTTP dispatcher: keep-alive, HTTP/1.1, and the proxy variables. Every request goes through it,
 * the calls to Huawei Cloud and the check-run calls to GitHub alike.
 */

import { Agent, type Dispatcher, EnvHttpProxyAgent } from 'undici';
import type { Config } from '../domain/types.ts';

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

/** True for an address that never leaves the machine. */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host)
  );
}

/**
 * Warnings for plain-HTTP endpoints off this machine (IAM's only when it is used): signatures, tokens and temporary
 * credentials would travel in clear.
 */
export function clearTextWarnings(config: Config): string[] {
  const usesIam = !config.projectId || config.credentials.kind === 'oidc';
  const endpoints: Array<[string, string]> = [['endpoint', config.endpoint]];
  if (usesIam) endpoints.push(['iam_endpoint', config.iamEndpoint]);
  const warnings: string[] = [];
  for (const [input, value] of endpoints) {
    const url = new URL(value);
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      warnings.push(
        `${input} uses plain http:// to ${url.hostname}: credentials, tokens and signed requests travel in clear. ` +
          'Use https:// unless this network is private and trusted.',
      );
    }
  }
  return warnings;
}
