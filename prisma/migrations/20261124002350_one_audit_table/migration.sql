-- One audit table for every kind of case: the procedure engine's StepRecord rows move into
-- CaseEvent (caseType 'procedure'), which gains the stage columns, the actor's unit and role, and
-- the attachments. Nothing is lost: every StepRecord row is copied before the table goes.

-- AlterTable
ALTER TABLE "CaseEvent" ADD COLUMN     "actorOrgUnitId" TEXT,
ADD COLUMN     "actorRole" TEXT,
ADD COLUMN     "attachments" JSONB NOT NULL DEFAULT '[]',
ADD COLUMN     "round" INTEGER,
ADD COLUMN     "stageKey" TEXT,
ADD COLUMN     "stageName" TEXT;

-- CopyRows
INSERT INTO "CaseEvent" ("id", "caseType", "caseId", "seq", "action", "stageKey", "stageName", "round",
                         "actorId", "actorName", "actorOrgUnitId", "actorRole", "comment", "attachments", "data", "at")
SELECT "id", 'procedure', "procedureId", "seq", "action", "stageKey", "stageName", "round",
       "actorId", "actorName", "actorOrgUnitId", "actorRole", "comment", "attachments", "data", "at"
FROM "StepRecord"
ON CONFLICT ("caseType", "caseId", "seq") DO NOTHING;

-- DropForeignKey
ALTER TABLE "StepRecord" DROP CONSTRAINT "StepRecord_procedureId_fkey";

-- DropTable
DROP TABLE "StepRecord";
