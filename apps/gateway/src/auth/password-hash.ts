/**
 * Password hashes as the config stores them — never the password itself.
 *
 * - `password_hash`: scrypt, `scrypt$N$r$p$SALT$HASH` (salt and hash in
 *   base64). Checked for HTTP basic credentials, the Flight handshake, and
 *   Postgres wire logins over TLS by users without a SCRAM verifier.
 * - `scram_sha_256`: PostgreSQL's SCRAM verifier,
 *   `SCRAM-SHA-256$ITERATIONS:SALT$STOREDKEY:SERVERKEY`, the same text as
 *   `pg_authid.rolpassword`. SCRAM needs these keys (a scrypt hash cannot
 *   answer a SCRAM exchange), so `spoke hash-password` prints both.
 */
import {
  createHash,
  createHmac,
  pbkdf2 as pbkdf2Callback,
  randomBytes,
  scrypt as scryptCallback,
  timingSafeEqual,
} from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2 = promisify(pbkdf2Callback);
const scrypt = promisify(scryptCallback) as (
  password: string | Buffer,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** scrypt cost parameters used for new hashes (about 50 ms and 16 MiB per check). */
export const SCRYPT_DEFAULTS = { N: 16384, r: 8, p: 1 } as const;
/** PBKDF2 iterations of new SCRAM verifiers: PostgreSQL's default, which every client accepts. */
export const SCRAM_ITERATIONS = 4096;

const SCRYPT_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;
const SCRAM_FORMAT = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*):([A-Za-z0-9+/]+=*)$/;

/** A parsed scrypt hash. */
export interface ScryptHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

/** A parsed SCRAM-SHA-256 verifier. */
export interface ScramVerifier {
  readonly iterations: number;
  readonly salt: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/**
 * SASLprep as PostgreSQL and libpq apply it before hashing (RFC 4013's
 * mapping and NFKC; like them, prohibited characters are tolerated), so a
 * verifier made here matches what clients compute.
 */
export function saslPrep(password: string): string {
  return (
    password
      .replace(/[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g, ' ')
      // biome-ignore lint/suspicious/noMisleadingCharacterClass: RFC 3454 table B.1 lists these combining characters on purpose
      .replace(/[\u00AD\u034F\u1806\u180B\u180C\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g, '')
      .normalize('NFKC')
  );
}

/** Parses `scrypt$N$r$p$salt$hash`; undefined when the text is not one. */
export function parseScryptHash(text: string): ScryptHash | undefined {
  const m = SCRYPT_FORMAT.exec(text);
  if (!m) return undefined;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N must be a power of two above 1; bound the cost so a config cannot make every login take minutes.
  if (N < 2 || (N & (N - 1)) !== 0 || N > 2 ** 20 || r < 1 || r > 32 || p < 1 || p > 16) return undefined;
  return { N, r, p, salt: Buffer.from(m[4]!, 'base64'), hash: Buffer.from(m[5]!, 'base64') };
}

/** Parses a PostgreSQL SCRAM-SHA-256 verifier; undefined when the text is not one. */
export function parseScramVerifier(text: string): ScramVerifier | undefined {
  const m = SCRAM_FORMAT.exec(text);
  if (!m) return undefined;
  const iterations = Number(m[1]);
  if (iterations < 1 || iterations > 10_000_000) return undefined;
  const storedKey = Buffer.from(m[3]!, 'base64');
  const serverKey = Buffer.from(m[4]!, 'base64');
  if (storedKey.length !== 32 || serverKey.length !== 32) return undefined;
  return { iterations, salt: Buffer.from(m[2]!, 'base64'), storedKey, serverKey };
}

function scryptOptions(h: { N: number; r: number; p: number }) {
  return { N: h.N, r: h.r, p: h.p, maxmem: 256 * h.N * h.r + 1024 * 1024 };
}

/** A new scrypt hash of `password`. */
export async function hashPasswordScrypt(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(password.normalize('NFKC'), salt, 32, scryptOptions(SCRYPT_DEFAULTS));
  const { N, r, p } = SCRYPT_DEFAULTS;
  return `scrypt$${N}$${r}$${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `password` matches the scrypt hash (constant time). */
export async function verifyScrypt(password: string, stored: ScryptHash): Promise<boolean> {
  const hash = await scrypt(
    password.normalize('NFKC'),
    stored.salt,
    stored.hash.length,
    scryptOptions(stored),
  );
  return hash.length === stored.hash.length && timingSafeEqual(hash, stored.hash);
}

function hmac(key: Buffer, text: string | Buffer): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

/** The SCRAM keys derived from a password (RFC 5802 §3). */
async function scramKeys(password: string, salt: Buffer, iterations: number) {
  const salted = await pbkdf2(saslPrep(password), salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { storedKey: sha256(clientKey), serverKey: hmac(salted, 'Server Key') };
}

/** A new PostgreSQL SCRAM-SHA-256 verifier for `password`. */
export async function scramVerifierFor(password: string, iterations = SCRAM_ITERATIONS): Promise<string> {
  const salt = randomBytes(16);
  const { storedKey, serverKey } = await scramKeys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Whether `password` matches a SCRAM verifier (for plain-password logins against users that only have one). */
export async function verifyScram(password: string, verifier: ScramVerifier): Promise<boolean> {
  const { storedKey } = await scramKeys(password, verifier.salt, verifier.iterations);
  return timingSafeEqual(storedKey, verifier.storedKey);
}

/** API keys are long random strings, so a fast hash is enough (and keeps a request's check at microseconds). */
export function hashApiKey(key: string): string {
  return `sha256$${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

/** A new random API key (`spoke_` + 32 random bytes in base64url). */
export function generateApiKey(): string {
  return `spoke_${randomBytes(32).toString('base64url')}`;
}

/** HMAC and SHA-256 as SCRAM uses them, for the wire's exchange. */
export const scramCrypto = { hmac, sha256 };
