/**
 * Server-Sent Events over `fetch` (EventSource cannot send an Authorization
 * header): calls `onEvent` with each event's name and parsed data until
 * `signal` aborts; reconnects after a pause if the stream ends.
 */
import { call } from './api.js';

export function subscribe(
  path: string,
  onEvent: (name: string, data: unknown) => void,
  signal: AbortSignal,
  onState: (connected: boolean, error?: unknown) => void = () => {},
): void {
  const run = async () => {
    while (!signal.aborted) {
      try {
        const res = await call(path, { signal, headers: { accept: 'text/event-stream' } });
        onState(true);
        const reader = decoded(res.body!);
        let pending = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          pending += value;
          let end = pending.indexOf('\n\n');
          while (end >= 0) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            let name = 'message';
            let data = '';
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) name = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data) onEvent(name, JSON.parse(data));
            end = pending.indexOf('\n\n');
          }
        }
        onState(false);
      } catch (error) {
        if (signal.aborted) return;
        onState(false, error);
        if ((error as { status?: number }).status === 401) return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  void run();
}

/** The body's text as it arrives (UTF-8 sequences split across chunks are kept whole). */
function decoded(body: ReadableStream<Uint8Array>): { read(): Promise<{ done: boolean; value?: string }> } {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  return {
    async read() {
      const { done, value } = await reader.read();
      return done
        ? { done: true, value: decoder.decode() }
        : { done: false, value: decoder.decode(value, { stream: true }) };
    },
  };
}
