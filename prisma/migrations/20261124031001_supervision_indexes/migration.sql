-- CreateTable
CREATE TABLE "ProcedureLateTally" (
    "scopePath" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,
    "overdueCases" INTEGER NOT NULL DEFAULT 0,
    "blockedCases" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "ProcedureLateTally_pkey" PRIMARY KEY ("scopePath","unitId")
);

-- CreateIndex
CREATE INDEX "Procedure_pendingOrgUnitIds_idx" ON "Procedure" USING GIN ("pendingOrgUnitIds" array_ops);

-- ---- written by hand ------------------------------------------------------------------------
-- The supervisors' queries (api/services/supervision.ts, ProcedureService.overdue in
-- api/services/procedures.ts, test/supervision-indexes.test.ts checks that they use these).
-- Prisma 6 cannot declare partial, covering (INCLUDE) or expression indexes, nor triggers, and its
-- migration differ leaves them alone (`prisma migrate dev --create-only` on 6.19.3 generates no
-- DROP for them). Prisma 7.4 began to diff partial indexes (prisma/prisma#29220): after an upgrade,
-- read the next migration's SQL for a DROP of these.
--
-- The pg driver adapter runs a migration one statement at a time, split at every semicolon and
-- outside any transaction: no semicolon may appear in this file but between statements, so the
-- PL/pgSQL bodies below are E'' strings that spell theirs \x3B, and what must be atomic is one DO.

-- The overdue list (active cases due before now, or marked overdue or blocked, or stale), due
-- first, over a wide scope (a province, a city): read in due order, scope and stage entry from the
-- index itself.
CREATE INDEX "Procedure_active_due_idx" ON "Procedure" ("dueAt", "id") INCLUDE ("orgPath", "stageEnteredAt") WHERE "status" = 'ACTIVE';
-- ... over a narrow scope (a county, a township, a village): the scope's active cases.
CREATE INDEX "Procedure_active_scope_idx" ON "Procedure" ("orgPath" text_pattern_ops, "dueAt", "id") INCLUDE ("stageEnteredAt") WHERE "status" = 'ACTIVE';
-- The cases marked overdue or blocked (a tenth of the active ones or fewer), in due order and by scope.
CREATE INDEX "Procedure_late_due_idx" ON "Procedure" ("dueAt", "id") INCLUDE ("orgPath") WHERE "status" = 'ACTIVE' AND ("overdue" OR "blockedReason" IS NOT NULL);
CREATE INDEX "Procedure_late_scope_idx" ON "Procedure" ("orgPath" text_pattern_ops, "dueAt", "id") WHERE "status" = 'ACTIVE' AND ("overdue" OR "blockedReason" IS NOT NULL);
-- How long the current stage runs: the stale cases (`staleDays`) not yet due are those whose stage
-- runs longer, few, and the statistics on the expression tell the planner so (the stage entry and due
-- time alone cannot: they correlate, and the planner takes no estimate from a partial index).
CREATE INDEX "Procedure_active_stage_length_idx" ON "Procedure" (("dueAt" - "stageEnteredAt")) WHERE "status" = 'ACTIVE';
CREATE STATISTICS "Procedure_stage_length_stats" ON ("dueAt" - "stageEnteredAt") FROM "Procedure";

-- ProcedureLateTally: what one case adds (sign 1) or takes away (sign -1): a row per org path
-- prefix ("/p/", "/p/c/", … its own unit's path) of an active case with a responsible unit that is
-- overdue or blocked (a non-empty reason), as the summary counts them.
CREATE FUNCTION "procedure_late_tally_rows"(path TEXT, unit TEXT, overdue BOOLEAN, blocked TEXT, status "ProcedureStatus", sign INTEGER)
RETURNS TABLE ("scopePath" TEXT, "unitId" TEXT, "overdueCases" INTEGER, "blockedCases" INTEGER)
LANGUAGE sql IMMUTABLE AS $$
  SELECT left(path, pos), unit, sign * overdue::INTEGER, sign * (coalesce(blocked, '') <> '')::INTEGER
  FROM generate_series(2, length(path)) AS pos
  WHERE status = 'ACTIVE' AND unit IS NOT NULL AND (overdue OR coalesce(blocked, '') <> '') AND substr(path, pos, 1) = '/'
$$;

-- A case's row changes: its old rows out, its new rows in. Every writer locks the tally rows in
-- one order (ORDER BY), so two cases' updates never deadlock on them.
CREATE FUNCTION "procedure_late_tally"() RETURNS TRIGGER LANGUAGE plpgsql AS E'
BEGIN
  IF TG_OP = ''UPDATE''
    AND OLD."status" = NEW."status" AND OLD."orgPath" = NEW."orgPath" AND OLD."overdue" = NEW."overdue"
    AND OLD."responsibleOrgUnitId" IS NOT DISTINCT FROM NEW."responsibleOrgUnitId"
    AND (coalesce(OLD."blockedReason", '''') <> '''') = (coalesce(NEW."blockedReason", '''') <> '''') THEN
    RETURN NULL\x3B
  END IF\x3B
  INSERT INTO "ProcedureLateTally" AS t ("scopePath", "unitId", "overdueCases", "blockedCases")
  SELECT d."scopePath", d."unitId", sum(d."overdueCases"), sum(d."blockedCases")
  FROM (
    SELECT * FROM "procedure_late_tally_rows"(OLD."orgPath", OLD."responsibleOrgUnitId", OLD."overdue", OLD."blockedReason", OLD."status", -1) WHERE TG_OP <> ''INSERT''
    UNION ALL
    SELECT * FROM "procedure_late_tally_rows"(NEW."orgPath", NEW."responsibleOrgUnitId", NEW."overdue", NEW."blockedReason", NEW."status", 1) WHERE TG_OP <> ''DELETE''
  ) d
  GROUP BY 1, 2
  HAVING sum(d."overdueCases") <> 0 OR sum(d."blockedCases") <> 0
  ORDER BY 1, 2
  ON CONFLICT ("scopePath", "unitId") DO UPDATE
    SET "overdueCases" = t."overdueCases" + excluded."overdueCases", "blockedCases" = t."blockedCases" + excluded."blockedCases"\x3B
  RETURN NULL\x3B
END';

CREATE FUNCTION "procedure_late_tally_truncate"() RETURNS TRIGGER LANGUAGE plpgsql AS E'
BEGIN
  TRUNCATE "ProcedureLateTally"\x3B
  RETURN NULL\x3B
END';

-- In one transaction: no write slips between the trigger's creation and the count of the cases
-- already there.
DO E'
BEGIN
  LOCK TABLE "Procedure" IN SHARE ROW EXCLUSIVE MODE\x3B
  CREATE TRIGGER "Procedure_late_tally"
    AFTER INSERT OR DELETE OR UPDATE OF "status", "orgPath", "responsibleOrgUnitId", "overdue", "blockedReason" ON "Procedure"
    FOR EACH ROW EXECUTE FUNCTION "procedure_late_tally"()\x3B
  CREATE TRIGGER "Procedure_late_tally_truncate" AFTER TRUNCATE ON "Procedure" FOR EACH STATEMENT EXECUTE FUNCTION "procedure_late_tally_truncate"()\x3B
  INSERT INTO "ProcedureLateTally" ("scopePath", "unitId", "overdueCases", "blockedCases")
  SELECT r."scopePath", r."unitId", sum(r."overdueCases"), sum(r."blockedCases")
  FROM "Procedure" p CROSS JOIN LATERAL "procedure_late_tally_rows"(p."orgPath", p."responsibleOrgUnitId", p."overdue", p."blockedReason", p."status", 1) r
  WHERE p."status" = ''ACTIVE''
  GROUP BY 1, 2\x3B
END';
