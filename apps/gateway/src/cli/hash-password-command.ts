import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { generateApiKey, hashApiKey, hashPasswordScrypt, scramVerifierFor } from '../auth/password-hash.js';
import { UsageError } from './usage-error.js';

/** `spoke hash-password --help`. */
export const HASH_PASSWORD_HELP = `Usage: spoke hash-password [--api-key]

Reads a password from standard input (or asks for it on a terminal) and
prints the two values a user's entry in the config needs:

  password_hash: scrypt$N$r$p$SALT$HASH             (HTTP basic, Flight handshake)
  scram_sha_256: SCRAM-SHA-256$4096:SALT$KEY:KEY    (Postgres wire SCRAM login)

Paste them under users.NAME. The password itself is never stored.

Options:
      --api-key  instead: generate a random API key, print it once, and print
                 the key_hash to put under api_keys.NAME
  -h, --help     this help`;

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    // Ask without echoing: readline writes the prompt, then every keystroke is swallowed.
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput: (text: string) => void };
    let prompted = false;
    output._writeToOutput = (text: string) => {
      if (!prompted) {
        process.stderr.write(text);
        prompted = true;
      }
    };
    const password = await new Promise<string>((resolve) => rl.question('Password: ', resolve));
    rl.close();
    process.stderr.write('\n');
    return password;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  // One trailing newline is the echo's or the heredoc's, not the password's.
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `spoke hash-password`: prints the hashes of a password, or a new API key and its hash. */
export async function hashPasswordCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { 'api-key': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(`${HASH_PASSWORD_HELP}\n`);
    return 0;
  }
  if (positionals.length > 0)
    throw new UsageError(
      'the password is read from standard input, not from the command line (it would show in ps and the shell history)',
      'hash-password',
    );
  if (values['api-key']) {
    const key = generateApiKey();
    process.stderr.write('The API key (shown once; clients send it as Authorization: Bearer KEY):\n');
    process.stdout.write(`${key}\nkey_hash: ${hashApiKey(key)}\n`);
    return 0;
  }
  const password = await readPassword();
  if (password === '') throw new UsageError('empty password', 'hash-password');
  const [scrypt, scram] = await Promise.all([hashPasswordScrypt(password), scramVerifierFor(password)]);
  process.stdout.write(`password_hash: ${scrypt}\nscram_sha_256: ${scram}\n`);
  return 0;
}
