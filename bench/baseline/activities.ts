/**
 * The baseline's two projections, each one PostgreSQL round trip (or one transaction), written so
 * that a retried attempt changes nothing: the start inserts the case row once, a sign-off moves the
 * row forward only (a stale version never wins) and inserts its audit row once per (case, seq).
 */
import type { Pool } from 'pg';
import type { StageKey } from './contract';

/** Creates the baseline's own tables (not part of the project's Prisma schema). */
export async function ensureBaselineSchema(pool: Pool): Promise<void> {
  await pool.query(`
    CREATE TABLE IF NOT EXISTS bench_baseline_case (
      id         text PRIMARY KEY,
      subject    text NOT NULL,
      stage      text,
      version    integer NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS bench_baseline_event (
      case_id text NOT NULL REFERENCES bench_baseline_case (id),
      seq     integer NOT NULL,
      stage   text NOT NULL,
      comment text,
      at      timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (case_id, seq)
    )`);
}

export interface StartProjection {
  caseId: string;
  subject: string;
  stage: StageKey;
}

export interface SignOffProjection {
  caseId: string;
  /** the stage signed */
  signed: StageKey;
  /** the stage the case moves to, null when it is complete */
  next: StageKey | null;
  /** the case's version after this sign-off (1 for the first): the audit row's seq and the stale-write guard */
  version: number;
  comment?: string;
}

export function createBaselineActivities(pool: Pool) {
  return {
    async projectStart({ caseId, subject, stage }: StartProjection): Promise<void> {
      await pool.query('INSERT INTO bench_baseline_case (id, subject, stage, version) VALUES ($1, $2, $3, 0) ON CONFLICT (id) DO NOTHING', [
        caseId,
        subject,
        stage,
      ]);
    },

    async projectSignOff({ caseId, signed, next, version, comment }: SignOffProjection): Promise<void> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('UPDATE bench_baseline_case SET stage = $2, version = $3, updated_at = now() WHERE id = $1 AND version < $3', [caseId, next, version]);
        await client.query('INSERT INTO bench_baseline_event (case_id, seq, stage, comment) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
          caseId,
          version,
          signed,
          comment ?? null,
        ]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
  };
}

export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
