import { connect } from 'node:net';

/** Where a backend runs and how to name it in a CancelRequest. */
export interface BackendKey {
  readonly host: string;
  readonly port: number;
  readonly processID: number;
  readonly secretKey: number;
}

/**
 * Sends PostgreSQL's CancelRequest for a backend on a new connection (the
 * protocol's out-of-band cancel: 16 bytes, no reply). Resolves when sent or
 * after `timeoutMs`; never throws, since cancelling is best effort.
 */
export function sendCancelRequest(key: BackendKey, timeoutMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const packet = Buffer.alloc(16);
    packet.writeInt32BE(16, 0);
    packet.writeInt32BE(80877102, 4); // CancelRequest code
    packet.writeInt32BE(key.processID, 8);
    packet.writeInt32BE(key.secretKey, 12);
    const socket = key.host.startsWith('/')
      ? connect({ path: `${key.host}/.s.PGSQL.${key.port}` })
      : connect({ host: key.host, port: key.port });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('connect', () => socket.end(packet));
  });
}
