import type { FastifyInstance } from 'fastify';
import type { Connected } from '../client/connection.js';
import type { Caller } from './caller.js';
import type { Catalog } from './catalog.js';
import type { RoleName, ServeConfig } from './config.js';

/** What the routes work with: the settings, one Temporal connection, and the runbook catalog. */
export interface ApiContext {
  config: ServeConfig;
  connected: Connected;
  catalog: Catalog;
}

export type RouteGroup = (app: FastifyInstance, context: ApiContext) => void;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role a route needs; `public` routes take no token (health, the OpenAPI document). */
    role?: RoleName | 'public';
  }
  interface FastifyRequest {
    /** Set by the authentication hook on every non-public route. */
    caller: Caller;
  }
}
