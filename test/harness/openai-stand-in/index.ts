/**
 * An OpenAI-compatible stand-in server for tests: no language model can be
 * downloaded or run here, so the tests drive the real `openai` SDK (through
 * `@spoke/nl`'s clients) against this HTTP server, which speaks the
 * protocol — `POST /chat/completions`, `POST /embeddings`, `GET /models`,
 * their JSON shapes, `Authorization: Bearer`, OpenAI's error bodies and
 * statuses, `retry-after-ms` — and answers from a script each test writes
 * (completions recorded per question, or a function of the messages).
 *
 * It records every request it receives, so a test can read exactly what a
 * model would have been shown.
 */
export * from './stand-in-server.js';
