/**
 * JWT validation against a JWKS file (RFC 7515/7517/7519), with node:crypto
 * only: RS256/384/512, PS256/384/512, ES256/384/512 and EdDSA. The key is
 * chosen by `kid` (or the only key that fits the algorithm); `exp`, `nbf`,
 * `iss` and `aud` are checked with a minute of clock skew.
 */
import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorCode, SpokeError } from '@spoke/core';

/** The `auth.jwt` section, with `jwks_file` resolved. */
export interface JwtSettings {
  readonly jwksFile: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Claim holding the roles: an array of strings or a space-separated string. Default `roles`. */
  readonly rolesClaim: string;
  /** Claim naming the user. Default `sub`. */
  readonly userClaim: string;
}

/** Who a valid token names. */
export interface JwtIdentity {
  readonly user: string;
  readonly roles: readonly string[];
}

const ALGORITHMS: Record<string, { hash: string | null; kty: string; pss?: boolean; ec?: boolean }> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', ec: true },
  ES384: { hash: 'sha384', kty: 'EC', ec: true },
  ES512: { hash: 'sha512', kty: 'EC', ec: true },
  EdDSA: { hash: null, kty: 'OKP' },
};

const SKEW_SECONDS = 60;

function invalid(reason: string): SpokeError {
  return new SpokeError(ErrorCode.UNAUTHENTICATED, `invalid token: ${reason}`);
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw invalid(`${what} is not base64url JSON`);
}

/** Checks JWTs against the keys of one JWKS file (read once, at start). */
export class JwtVerifier {
  private readonly keys: { kid?: string; kty: string; key: KeyObject }[];

  /** @throws INVALID_CONFIG naming `auth.jwt.jwks_file` when the file is missing or holds no usable key. */
  constructor(private readonly settings: JwtSettings) {
    let jwks: { keys?: unknown };
    try {
      jwks = JSON.parse(readFileSync(settings.jwksFile, 'utf8')) as { keys?: unknown };
    } catch (error) {
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `auth.jwt.jwks_file: cannot read ${settings.jwksFile}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    if (!Array.isArray(jwks.keys))
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `auth.jwt.jwks_file: ${settings.jwksFile} is not a JWKS ({"keys": [...]})`,
      );
    this.keys = [];
    for (const [i, jwk] of (jwks.keys as JsonWebKey[]).entries()) {
      if ((jwk as { use?: string }).use !== undefined && (jwk as { use?: string }).use !== 'sig') continue;
      try {
        const key = createPublicKey({ key: jwk, format: 'jwk' });
        const kid = (jwk as { kid?: unknown }).kid;
        this.keys.push({ ...(typeof kid === 'string' ? { kid } : {}), kty: String(jwk.kty), key });
      } catch (error) {
        throw new SpokeError(
          ErrorCode.INVALID_CONFIG,
          `auth.jwt.jwks_file: key ${i} in ${settings.jwksFile} is not a public JWK: ${(error as Error).message}`,
          { cause: error },
        );
      }
    }
    if (this.keys.length === 0)
      throw new SpokeError(
        ErrorCode.INVALID_CONFIG,
        `auth.jwt.jwks_file: ${settings.jwksFile} holds no signing key`,
      );
  }

  /** Whether `token` looks like a JWT (three dot-separated base64url parts), so API keys are not mistaken for one. */
  static looksLikeJwt(token: string): boolean {
    return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
  }

  /** The identity in a valid token; UNAUTHENTICATED saying why otherwise. */
  verify(token: string, now = Date.now()): JwtIdentity {
    const parts = token.split('.');
    if (parts.length !== 3) throw invalid('not a JWT');
    const header = decodePart(parts[0]!, 'header');
    const claims = decodePart(parts[1]!, 'payload');
    const alg = typeof header.alg === 'string' ? header.alg : '';
    const spec = ALGORITHMS[alg];
    if (!spec) throw invalid(`algorithm ${alg || '(none)'} is not accepted`);
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const candidates = this.keys.filter((k) => k.kty === spec.kty && (kid === undefined || k.kid === kid));
    const data = Buffer.from(`${parts[0]}.${parts[1]}`);
    const signature = Buffer.from(parts[2]!, 'base64url');
    const ok = candidates.some((k) => {
      try {
        return verify(
          spec.hash,
          data,
          {
            key: k.key,
            ...(spec.pss
              ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
              : {}),
            ...(spec.ec ? { dsaEncoding: 'ieee-p1363' as const } : {}),
          },
          signature,
        );
      } catch {
        return false;
      }
    });
    if (!ok)
      throw invalid(
        candidates.length === 0 ? `no key${kid ? ` with kid "${kid}"` : ''} for ${alg}` : 'bad signature',
      );
    const seconds = now / 1000;
    if (typeof claims.exp !== 'number') throw invalid('no exp claim');
    if (claims.exp + SKEW_SECONDS < seconds) throw invalid('expired');
    if (typeof claims.nbf === 'number' && claims.nbf - SKEW_SECONDS > seconds) throw invalid('not valid yet');
    const { issuer, audience, rolesClaim, userClaim } = this.settings;
    if (issuer !== undefined && claims.iss !== issuer) throw invalid(`issuer is not ${issuer}`);
    if (audience !== undefined) {
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (!aud.includes(audience)) throw invalid(`audience is not ${audience}`);
    }
    const user = claims[userClaim];
    if (typeof user !== 'string' || user === '') throw invalid(`no ${userClaim} claim`);
    const raw = claims[rolesClaim];
    const roles = Array.isArray(raw)
      ? raw.filter((r): r is string => typeof r === 'string')
      : typeof raw === 'string'
        ? raw.split(/\s+/).filter(Boolean)
        : [];
    return { user, roles };
  }
}
