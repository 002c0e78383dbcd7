/**
 * The parts of undici this action uses, imported module by module: undici's index also loads fetch, WebSocket,
 * caches, mocks and more, which would double the bundle and the start-up time of a step that may make one request.
 * The proxy agent is loaded only when a proxy is configured.
 */
import type { Dispatcher, EnvHttpProxyAgent as EnvHttpProxyAgentType } from 'undici';
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

/** An agent that routes through HTTP(S)_PROXY except for NO_PROXY hosts. */
export async function envHttpProxyAgent(options: EnvHttpProxyAgentType.Options): Promise<Dispatcher> {
  const { default: EnvHttpProxyAgent } = await import('undici/lib/dispatcher/env-http-proxy-agent.js');
  return new EnvHttpProxyAgent(options);
}
