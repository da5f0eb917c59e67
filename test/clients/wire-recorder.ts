/**
 * A pass-through TCP proxy in front of the gateway that notes the SQL each
 * client sends (simple Query and Parse messages): how the replay corpus in
 * `corpus/` is recorded from the real clients. Clients connect without TLS
 * (the proxy reads the bytes); everything is forwarded unchanged both ways.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** A running recorder. */
export interface WireRecorder {
  readonly port: number;
  /** The statements seen so far, in order, across connections. */
  readonly statements: string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

/** Splits the client's byte stream into messages and records the SQL in Q and P messages. */
function sniffer(record: (sql: string) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let untyped = true;
  let lost = false;
  return (chunk) => {
    if (lost) return;
    pending = Buffer.concat([pending, chunk]);
    while (true) {
      if (untyped) {
        if (pending.length < 8) return;
        const length = pending.readInt32BE(0);
        // Not a packet we can follow (TLS after an accepted SSLRequest): stop reading this connection.
        if (length < 8 || length > 10_000) {
          lost = true;
          return;
        }
        if (pending.length < length) return;
        const code = pending.readInt32BE(4);
        // After SSLRequest/GSSENCRequest (answered "N"), the startup packet is untyped too.
        untyped = code === SSL_REQUEST || code === GSSENC_REQUEST;
        pending = pending.subarray(length);
        continue;
      }
      if (pending.length < 5) return;
      const length = pending.readInt32BE(1);
      if (pending.length < 1 + length) return;
      const type = pending[0];
      const body = pending.subarray(5, 1 + length);
      if (type === 0x51) record(body.subarray(0, body.indexOf(0)).toString('utf8'));
      if (type === 0x50) {
        const nameEnd = body.indexOf(0);
        record(body.subarray(nameEnd + 1, body.indexOf(0, nameEnd + 1)).toString('utf8'));
      }
      pending = pending.subarray(1 + length);
    }
  };
}

/** Starts the proxy on a free loopback port, forwarding to `targetPort`. */
export async function startRecorder(targetPort: number): Promise<WireRecorder> {
  const statements: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const sniff = sniffer((sql) => statements.push(sql));
    client.on('data', (chunk: Buffer) => {
      sniff(chunk);
      upstream.write(chunk);
    });
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    statements,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
