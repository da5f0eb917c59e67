/**
 * Runs a join-at-source plan (`strategies/join-at-source.ts`): each small
 * table is read here and streamed up as a relation for this query, then the
 * whole statement runs at the source and its answer streams to the client.
 * The uploaded relations are dropped when the answer ends, fails or is
 * abandoned — and by the source itself if this gateway goes away first.
 */
import type { QueryContext, UploadedRelation } from '@spoke/core';
import type { QueryResult } from '../engine-api.js';
import type { JoinAtSourcePlan } from '../strategies/join-at-source.js';
import { closingStream } from './closing-stream.js';
import type { ExecutionTrace } from './execution-trace.js';
import { observed, peekSchema, sourceBatches } from './federated-executor.js';

/** The relation name EXPLAIN ANALYZE files the statement's answer under. */
export const ANSWER_RELATION = '(streamed to the client)';

/** Uploads, then runs the statement at the source; the result streams from there. */
export async function executeJoinAtSource(
  plan: JoinAtSourcePlan,
  signal: AbortSignal,
  context: QueryContext,
  trace: ExecutionTrace,
): Promise<QueryResult> {
  const executor = plan.connector.sql!;
  const uploads = executor.uploads!;
  const held: UploadedRelation[] = [];
  const dropAll = async () => {
    await Promise.all(held.splice(0).map((r) => r.drop()));
  };
  try {
    // Every upload at once: each is its own DoPut stream on the link.
    await Promise.all(
      plan.uploads.map(async (upload) => {
        const binding = upload.scan.binding;
        const record = trace.begin(binding.source, `${uploads.schema}.${upload.name}`);
        const started = trace.now();
        const rows = observed(
          sourceBatches(binding.source, () =>
            binding.provider.scan({
              projection: [...upload.columns],
              filters: upload.scan.candidates.filter((c) => c.support !== 'unsupported').map((c) => c.expr),
              signal,
              context,
            }),
          ),
          record,
          trace,
          started,
        );
        const relation = await uploads.upload({
          name: upload.name,
          schema: binding.arrowSchema.select([...upload.columns]),
          batches: rows,
          signal,
          context,
        });
        held.push(relation);
        record.elapsedMs = trace.now() - started;
        record.uploadedBytes = relation.bytes;
      }),
    );
    const record = trace.begin(plan.source, ANSWER_RELATION);
    const started = trace.now();
    const answer = await peekSchema(
      observed(
        sourceBatches(plan.source, () => executor.execute(plan.rendered, { signal, context })),
        record,
        trace,
        started,
      ),
    );
    return { command: 'SELECT', schema: answer.schema, batches: closingStream(answer.batches, dropAll) };
  } catch (error) {
    await dropAll();
    throw error;
  }
}
