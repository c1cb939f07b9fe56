/**
 * The statements of a projection in SQL: the journal entries (every kind of case), the
 * notifications their entries ask for, and a procedure case's row with the rows around it. A
 * procedure's decision is the hot path of the system: its projection runs these few statements in
 * one transaction on the pg pool (as Prisma calls it was ~1 ms of CPU per statement in the query
 * compiler). The other kinds of case run `saveEntries` inside their Prisma transaction.
 *
 * Prisma's DateTime columns are `timestamp(3)` holding UTC: instants are sent as ISO strings
 * ("…Z"), whose zone PostgreSQL ignores for that type, so they land as Prisma writes them whatever
 * the session's time zone. Ids that Prisma would generate (`@default(uuid())`) are
 * `gen_random_uuid()`; `@updatedAt` columns are set explicitly.
 */
import type { Pool, PoolClient } from 'pg';
import { ApplicationFailure } from '@temporalio/activity';
import type { Prisma } from '../generated/prisma/client';
import type { JournalEntry } from '../workflows/shared/journal';
import type { ProcedureSubject } from '../workflows/procedure/contract';
import type { CaseActions, Role } from '../workflows/procedure/definition';
import type { NotificationRequest, ProcedureSnapshot } from './projection';
import { writeIfNewer } from './stale-write';

/** Where statements run: a pg connection inside its transaction, or a Prisma transaction. */
export interface SqlRunner {
  rows<T>(text: string, values: unknown[]): Promise<T[]>;
  /** the number of rows the statement touched */
  exec(text: string, values: unknown[]): Promise<number>;
}

/** Runs `fn` in one transaction on a connection of `pool`; a connection that failed is not reused. */
export async function inPgTransaction<T>(pool: Pool, fn: (sql: SqlRunner) => Promise<T>): Promise<T> {
  const client: PoolClient = await pool.connect();
  const sql: SqlRunner = {
    rows: async <R>(text: string, values: unknown[]) => (await client.query(text, values)).rows as R[],
    exec: async (text, values) => (await client.query(text, values)).rowCount ?? 0,
  };
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(sql);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackFailed: Error) => {
      broken = rollbackFailed;
    });
    throw err;
  } finally {
    client.release(broken);
  }
}

/** The same statements inside a Prisma interactive transaction. */
export const viaPrisma = (tx: Prisma.TransactionClient): SqlRunner => ({
  rows: <R>(text: string, values: unknown[]) => tx.$queryRawUnsafe<R[]>(text, ...values),
  exec: (text, values) => tx.$executeRawUnsafe(text, ...values),
});

const iso = (at: string | Date) => new Date(at).toISOString();

/** Entries to the one audit table, keyed by (caseType, caseId, seq): a resend writes nothing twice. */
export async function saveEntries(sql: SqlRunner, caseType: string, caseId: string, entries: JournalEntry[]): Promise<void> {
  if (!entries.length) return;
  const rows = entries.map((e) => ({
    seq: e.seq,
    action: e.action,
    stageKey: e.stageKey ?? null,
    stageName: e.stageName ?? null,
    round: e.round ?? null,
    actorId: e.actor?.personId ?? null,
    actorName: e.actor?.name ?? null,
    actorOrgUnitId: e.actor?.orgUnitId ?? null,
    actorRole: e.actor?.role ?? null,
    comment: e.comment ?? null,
    attachments: e.attachments ?? [],
    data: e.data ?? {},
    at: iso(e.at),
  }));
  await sql.exec(
    `INSERT INTO "CaseEvent" ("id", "caseType", "caseId", "seq", "action", "stageKey", "stageName", "round", "actorId", "actorName", "actorOrgUnitId", "actorRole", "comment", "attachments", "data", "at")
     SELECT gen_random_uuid()::text, $1, $2, e."seq", e."action", e."stageKey", e."stageName", e."round", e."actorId", e."actorName", e."actorOrgUnitId", e."actorRole", e."comment", e."attachments", e."data", e."at"
       FROM jsonb_to_recordset($3::jsonb) AS e("seq" int, "action" text, "stageKey" text, "stageName" text, "round" int, "actorId" text, "actorName" text,
                                             "actorOrgUnitId" text, "actorRole" text, "comment" text, "attachments" jsonb, "data" jsonb, "at" timestamp(3))
     ON CONFLICT DO NOTHING`,
    [caseType, caseId, JSON.stringify(rows)],
  );
}

/**
 * The people each notification goes to (everyone holding one of its roles in one of its units),
 * and their notifications written, once per key and person. Returns the entries with
 * `data.recipients` filled in for the entries that asked, and how many notifications of each kind
 * are new (none when a resend finds them written).
 */
export async function writeNotifications(
  sql: SqlRunner,
  caseId: string,
  entries: JournalEntry[],
  requests: NotificationRequest[],
): Promise<{ entries: JournalEntry[]; created: Map<string, number> }> {
  const created = new Map<string, number>();
  if (!requests.length) return { entries, created };
  const units = [...new Set(requests.flatMap((r) => r.orgUnitIds))];
  const roles = [...new Set(requests.flatMap((r) => r.roles))];
  const people = await sql.rows<{ id: string; name: string; role: Role; orgUnitId: string }>(
    `SELECT "id", "name", "role"::text AS "role", "orgUnitId" FROM "Person" WHERE "orgUnitId" = ANY($1::text[]) AND "role" = ANY($2::"Role"[]) ORDER BY "id"`,
    [units, roles],
  );
  const recipientsOf = new Map<number, Array<{ id: string; name: string; role: Role }>>();
  const rows = requests.flatMap((r) => {
    const to = people.filter((p) => r.orgUnitIds.includes(p.orgUnitId) && r.roles.includes(p.role));
    recipientsOf.set(r.entrySeq, [...(recipientsOf.get(r.entrySeq) ?? []), ...to.map((p) => ({ id: p.id, name: p.name, role: p.role }))]);
    return to.map((p) => ({ dedupeKey: `${r.dedupeKey}:${p.id}`, recipientId: p.id, kind: r.kind, title: r.title, body: r.body }));
  });
  const count = rows.length
    ? await sql.exec(
        `INSERT INTO "Notification" ("id", "dedupeKey", "recipientId", "procedureId", "kind", "title", "body", "channel", "createdAt")
         SELECT gen_random_uuid()::text, n."dedupeKey", n."recipientId", $1, n."kind", n."title", n."body", 'in-app', $3::timestamp(3)
           FROM jsonb_to_recordset($2::jsonb) AS n("dedupeKey" text, "recipientId" text, "kind" text, "title" text, "body" text)
         ON CONFLICT DO NOTHING`,
        [caseId, JSON.stringify(rows), iso(new Date())],
      )
    : 0;
  // a resend writes none; a partial one (rare) is counted by kind in full
  if (count > 0) for (const row of rows) created.set(row.kind, (created.get(row.kind) ?? 0) + 1);
  return { entries: entries.map((e) => (recipientsOf.has(e.seq) ? { ...e, data: { ...e.data, recipients: recipientsOf.get(e.seq) } } : e)), created };
}

/**
 * A procedure case's row, written only over an older `stateSeq` (the stale-write guard) or created
 * with its opening fields; then the entries' effects on the rows around the case, each idempotent
 * so that a resend is harmless.
 */
export async function projectProcedure(sql: SqlRunner, caseId: string, stateSeq: number, entries: JournalEntry[], input: ProcedureSnapshot): Promise<void> {
  const s = input.snapshot;
  const now = iso(new Date());
  const row = [
    s.status,
    s.stage?.key ?? null,
    s.stage?.name ?? null,
    s.stage?.kind ?? null,
    s.stage?.responsibleOrgUnitId ?? null,
    s.stage?.roles ?? [],
    s.stage?.pendingOrgUnitIds ?? (s.stage ? [s.stage.responsibleOrgUnitId] : []),
    s.stage?.blocked ? s.stage.blocked.failures.map((f) => f.reason).join('；') : null,
    s.stage?.dueProvisional ?? false,
    s.stage ? iso(s.stage.enteredAt) : null,
    s.stage?.dueAt ? iso(s.stage.dueAt) : null,
    s.stage?.overdue ?? false,
    s.stage?.escalationLevel ?? 0,
    s.closedAt ? iso(s.closedAt) : null,
    stateSeq,
    now,
  ];
  await writeIfNewer([['stateSeq', stateSeq]], {
    // the same version as SQL: "stateSeq" < $16
    update: async () => ({
      count: await sql.exec(
        `UPDATE "Procedure" SET "status" = $2::"ProcedureStatus", "currentStageKey" = $3, "currentStageName" = $4, "currentStageKind" = $5,
            "responsibleOrgUnitId" = $6, "responsibleRoles" = $7::text[], "pendingOrgUnitIds" = $8::text[], "blockedReason" = $9,
            "dueProvisional" = $10, "stageEnteredAt" = $11::timestamp(3), "dueAt" = $12::timestamp(3), "overdue" = $13, "escalationLevel" = $14,
            "closedAt" = $15::timestamp(3), "stateSeq" = $16, "updatedAt" = $17::timestamp(3)
      WHERE "id" = $1 AND "stateSeq" < $16`,
        [caseId, ...row],
      ),
    }),
    exists: async () => (await sql.rows('SELECT 1 FROM "Procedure" WHERE "id" = $1', [caseId])).length > 0,
    create: () => createProcedure(sql, caseId, input, row),
  });
  // the entries' effects on the rows around the case: each is idempotent, so a resend is harmless
  for (const entry of entries) await projectProcedureEntry(sql, caseId, input, entry);
}

async function createProcedure(sql: SqlRunner, caseId: string, input: ProcedureSnapshot, row: unknown[]): Promise<void> {
  const opening = input.opening;
  // retried: the projection that opened the case is still to land (it carries the opening)
  if (!opening) throw new Error(`case ${caseId} is not opened in the database yet`);
  const created = await sql.exec(
    `INSERT INTO "Procedure" ("id", "workflowId", "type", "definitionId", "definitionVersion", "profile", "subjectType", "subjectId", "subjectName",
            "householdId", "orgUnitId", "orgPath", "year", "startedById", "startedAt",
            "status", "currentStageKey", "currentStageName", "currentStageKind", "responsibleOrgUnitId", "responsibleRoles", "pendingOrgUnitIds",
            "blockedReason", "dueProvisional", "stageEnteredAt", "dueAt", "overdue", "escalationLevel", "closedAt", "stateSeq", "updatedAt")
     SELECT $1, $2, $3, $4, $5::int, $6, $7, $8, $9, $10, u."id", u."path", $12::int, $13, $14::timestamp(3),
            $15::"ProcedureStatus", $16, $17, $18, $19, $20::text[], $21::text[], $22, $23::boolean, $24::timestamp(3), $25::timestamp(3), $26::boolean, $27::int,
            $28::timestamp(3), $29::int, $30::timestamp(3)
       FROM "OrgUnit" u WHERE u."id" = $11`,
    [
      caseId,
      opening.workflowId,
      opening.procedureType,
      opening.definitionId,
      opening.definitionVersion,
      opening.profile,
      input.subject.type,
      input.subject.id,
      input.subject.name,
      input.subject.type === 'household' ? input.subject.id : null,
      opening.subjectOrgUnitId,
      input.year,
      opening.startedBy.personId,
      iso(opening.startedAt ?? new Date()),
      ...row,
    ],
  );
  if (created === 0) throw new Error(`org unit ${opening.subjectOrgUnitId} of case ${caseId} does not exist`);
}

async function projectProcedureEntry(sql: SqlRunner, caseId: string, input: ProcedureSnapshot, e: JournalEntry): Promise<void> {
  const stage = [caseId, e.stageKey ?? '', e.round ?? 0];
  const data = (e.data ?? {}) as Record<string, unknown>;
  const resolveEscalations = (where: string, values: unknown[]) =>
    sql.exec(`UPDATE "Escalation" SET "resolvedAt" = $${values.length + 1}::timestamp(3) WHERE ${where} AND "resolvedAt" IS NULL`, [...values, iso(e.at)]);
  switch (e.action) {
    case 'STARTED':
      for (const action of input.actions.onStart) await runCaseAction(sql, action, input.subject);
      return;
    case 'STAGE_ENTERED':
      if (data.kind === 'notice') {
        await sql.exec(
          `INSERT INTO "PublicNotice" ("id", "procedureId", "stageKey", "round", "orgUnitId", "startsAt", "endsAt", "status")
           VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5::timestamp(3), $6::timestamp(3), 'OPEN') ON CONFLICT DO NOTHING`,
          [...stage, String(data.responsibleOrgUnitId), iso(e.at), iso(String(data.dueAt))],
        );
      }
      return;
    case 'NOTICE_PASSED':
      await sql.exec(`UPDATE "PublicNotice" SET "status" = 'PASSED' WHERE "procedureId" = $1 AND "stageKey" = $2 AND "round" = $3 AND "status" = 'OPEN'`, stage);
      return;
    case 'OBJECTION': {
      const notice = await sql.rows<{ id: string }>(
        `UPDATE "PublicNotice" SET "status" = 'INTERRUPTED' WHERE "procedureId" = $1 AND "stageKey" = $2 AND "round" = $3 RETURNING "id"`,
        stage,
      );
      if (!notice.length) throw new Error(`notice ${e.stageKey}/${e.round} of case ${caseId} is not projected yet`);
      await sql.exec(
        `INSERT INTO "Objection" ("id", "noticeId", "procedureId", "objectorName", "content", "recordedById", "at")
         VALUES ($1, $2, $3, $4, $5, $6, $7::timestamp(3)) ON CONFLICT DO NOTHING`,
        [`${caseId}:${e.seq}`, notice[0].id, caseId, String(data.objectorName), e.comment ?? '', e.actor?.personId ?? '', iso(e.at)],
      );
      return;
    }
    case 'ESCALATED':
      await sql.exec(
        `INSERT INTO "Escalation" ("id", "procedureId", "stageKey", "round", "rung", "label", "orgUnitId", "stageDueAt", "escalatedAt")
         VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7::timestamp(3), $8::timestamp(3)) ON CONFLICT DO NOTHING`,
        [...stage, Number(data.rung), String(data.label), String(data.orgUnitId), iso(String(data.dueAt)), iso(e.at)],
      );
      return;
    case 'INDICATORS_SUBMITTED':
      await saveIndicators(sql, caseId, input, e, (data.values ?? {}) as Record<string, number>, String(data.source ?? e.stageName));
      return;
    case 'APPROVED':
      if (data.indicators) await saveIndicators(sql, caseId, input, e, data.indicators as Record<string, number>, e.stageName ?? '');
      await resolveEscalations('"procedureId" = $1 AND "stageKey" = $2 AND "round" = $3', stage);
      return;
    case 'REJECTED':
      // the stage is decided: its escalations resolve themselves
      await resolveEscalations('"procedureId" = $1 AND "stageKey" = $2 AND "round" = $3', stage);
      return;
    case 'CANCELLED':
      await resolveEscalations('"procedureId" = $1', [caseId]);
      await sql.exec(`UPDATE "PublicNotice" SET "status" = 'CANCELLED' WHERE "procedureId" = $1 AND "status" = 'OPEN'`, [caseId]);
      for (const action of input.actions.onCancel) await runCaseAction(sql, action, input.subject);
      return;
    default:
      return;
  }
}

/** A start or cancel action of the definition's allow-list; each is idempotent (a guarded update). */
async function runCaseAction(sql: SqlRunner, action: CaseActions['onStart'][number] | CaseActions['onCancel'][number], subject: ProcedureSubject): Promise<void> {
  const moveHousehold = (from: string, to: string) =>
    sql.exec(`UPDATE "Household" SET "status" = $3::"HouseholdStatus", "updatedAt" = $4::timestamp(3) WHERE "id" = $1 AND "status" = $2::"HouseholdStatus"`, [
      subject.id,
      from,
      to,
      iso(new Date()),
    ]);
  switch (action) {
    case 'markHouseholdExiting': // 退出程序启动: the household is under exit
      await moveHousehold('POOR', 'EXITING');
      return;
    case 'restoreHouseholdPoor': // the exit was called off: the household is poor again
      await moveHousehold('EXITING', 'POOR');
      return;
    default: {
      const unknown: never = action;
      throw ApplicationFailure.nonRetryable(`unknown case action ${String(unknown)}`, 'InvalidInput');
    }
  }
}

/** Figures entered on a case; a replayed older entry never overwrites a newer figure. */
async function saveIndicators(sql: SqlRunner, caseId: string, input: ProcedureSnapshot, e: JournalEntry, values: Record<string, number>, source: string) {
  for (const [key, value] of Object.entries(values)) {
    const row = [input.subject.type, input.subject.id, input.year, key, value, source, e.actor?.personId ?? '', caseId, iso(e.at)];
    await sql.exec(
      `INSERT INTO "SubjectIndicator" ("id", "subjectType", "subjectId", "year", "key", "value", "source", "enteredById", "caseId", "enteredAt")
       VALUES (gen_random_uuid()::text, $1, $2, $3, $4, $5, $6, $7, $8, $9::timestamp(3)) ON CONFLICT DO NOTHING`,
      row,
    );
    await sql.exec(
      `UPDATE "SubjectIndicator" SET "value" = $5, "source" = $6, "enteredById" = $7, "caseId" = $8, "enteredAt" = $9::timestamp(3)
        WHERE "subjectType" = $1 AND "subjectId" = $2 AND "year" = $3 AND "key" = $4 AND "enteredAt" < $9::timestamp(3)`,
      row,
    );
  }
}
