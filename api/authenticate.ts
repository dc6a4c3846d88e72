// Who the caller is, from `Authorization: Bearer <token>`. A token shaped like a JWT (three
// dot-separated parts) is an OIDC token when OIDC is configured; anything else is looked up in
// the token table. Every refusal is the same 401, so it tells nothing about why.
import type { Caller } from './caller.js';
import type { ServeConfig } from './config.js';
import { ApiError } from './errors.js';
import { JwtRefused, oidcVerifier } from './oidc.js';
import { tokenLookup } from './tokens.js';

export type Authenticator = (authorization: string | undefined) => Promise<Caller>;

const jwtShape = /^[\w-]+\.[\w-]+\.[\w-]*$/;

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, 'send Authorization: Bearer <token> with a token this API was configured with', {
    'www-authenticate': 'Bearer realm="ssmflow"',
  });
}

export function authenticator(auth: ServeConfig['auth'], log: { warn(details: object, message: string): void }): Authenticator {
  const byToken = tokenLookup(auth.tokens);
  const byJwt = auth.oidc ? oidcVerifier(auth.oidc) : undefined;
  return async (authorization) => {
    const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
    if (!match?.[1]) throw unauthorized(authorization ? 'the Authorization header is not "Bearer <token>"' : 'no bearer token');
    const token = match[1];
    if (byJwt && jwtShape.test(token)) {
      try {
        return await byJwt(token);
      } catch (err) {
        if (!(err instanceof JwtRefused)) throw err;
        // Why, for the operators; never the token.
        log.warn({ reason: err.message }, 'OIDC token refused');
        throw unauthorized('the token was not accepted');
      }
    }
    const caller = byToken(token);
    if (!caller) throw unauthorized('the token was not accepted');
    return caller;
  };
}
