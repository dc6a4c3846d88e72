// OIDC access tokens (JWTs) checked against the issuer's published keys: signature by an
// asymmetric key from the JWKS, issuer, audience and expiry, with a small clock tolerance. The
// identity and groups come from the configured claims.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Caller } from './caller.js';
import type { OidcSettings } from './config.js';

// Asymmetric only: a symmetric (HS*) or unsigned (none) token could be minted by anyone holding the key material or none.
const asymmetricAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

/** Why a JWT was refused (for the log; the caller only learns that it was). */
export class JwtRefused extends Error {
  override name = 'JwtRefused';
}

function claimText(payload: JWTPayload, claim: string): string | undefined {
  const value = payload[claim];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function claimGroups(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g.length > 0);
  return typeof value === 'string' && value ? [value] : [];
}

export function oidcVerifier(settings: OidcSettings): (jwt: string) => Promise<Caller> {
  const keys = createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5_000, cooldownDuration: 30_000 });
  return async (jwt) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(jwt, keys, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: asymmetricAlgorithms,
        clockTolerance: 30,
        requiredClaims: ['exp'],
      }));
    } catch (err) {
      throw new JwtRefused(`${(err as Error).name}: ${(err as Error).message}`);
    }
    const identity = claimText(payload, settings.identityClaim);
    if (!identity) throw new JwtRefused(`the token has no ${settings.identityClaim} claim to name the caller`);
    return { identity, groups: claimGroups(payload, settings.groupsClaim), via: 'oidc' };
  };
}
