/**
 * The parts of undici this action uses, imported module by module: undici's index also loads fetch, WebSocket,
 * caches, mocks and more, which would double the bundle and the start-up time of a step that may make one request.
 * The proxy agent is loaded only when a proxy is configured.
 */
import type { Dispatcher, EnvHttpProxyAgent as EnvHttpProxyAgentType, ProxyAgent } from 'undici';
import apiRequest from 'undici/lib/api/api-request.js';
import undiciErrors from 'undici/lib/core/errors.js';
import Agent from 'undici/lib/dispatcher/agent.js';

export { Agent };
export const errors = undiciErrors;

/** `undici.request` for one dispatcher: the method undici's index would have attached to it. */
export function request(
  dispatcher: Dispatcher,
  options: Dispatcher.RequestOptions,
): Promise<Dispatcher.ResponseData> {
  return apiRequest.call(dispatcher, options);
}

/**
 * An agent that routes through HTTP(S)_PROXY except for NO_PROXY hosts. The connection to the proxy itself is also
 * HTTP/1.1 parsed by llhttp, like every other: the bundle leaves out undici's HTTP/2 client and its experimental Milo
 * parser (see `npm run build`), which that connection would otherwise use for an HTTP/2 proxy or UNDICI_USE_MILO=1.
 */
export async function envHttpProxyAgent(options: EnvHttpProxyAgentType.Options): Promise<Dispatcher> {
  const [{ default: EnvHttpProxyAgent }, { default: Pool }, { default: DispatcherClass }, { default: api }] =
    await Promise.all([
      import('undici/lib/dispatcher/env-http-proxy-agent.js'),
      import('undici/lib/dispatcher/pool.js'),
      import('undici/lib/dispatcher/dispatcher.js'),
      import('undici/lib/api/index.js'),
    ]);
  // undici's index gives every dispatcher its API methods (request, connect...), and the proxy agent opens its
  // CONNECT tunnels (to https targets) with connect(). Loaded module by module, that step is ours to do.
  Object.assign(DispatcherClass.prototype, api);
  // The proxy agent creates some clients (to the proxy, and to plain-HTTP targets through it) with options of its
  // own: these factories and proxyTls keep them on HTTP/1.1 and llhttp too.
  const llhttpOnly = (origin: string | URL, opts: object) => new Pool(origin, { ...opts, useMilo: false });
  // ProxyAgent options, which EnvHttpProxyAgent passes on to its proxy agents.
  const ownClients: Pick<ProxyAgent.Options, 'factory' | 'clientFactory' | 'proxyTls'> = {
    factory: llhttpOnly,
    clientFactory: llhttpOnly,
    proxyTls: { allowH2: false },
  };
  return new EnvHttpProxyAgent({ ...options, ...ownClients });
}
