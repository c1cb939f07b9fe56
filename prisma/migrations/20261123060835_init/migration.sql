-- CreateEnum
CREATE TYPE "OrgLevel" AS ENUM ('PROVINCE', 'CITY', 'COUNTY', 'TOWNSHIP', 'VILLAGE');

-- CreateEnum
CREATE TYPE "Role" AS ENUM ('STAFF', 'DEPUTY', 'LEADER');

-- CreateEnum
CREATE TYPE "HouseholdStatus" AS ENUM ('POOR', 'EXITING', 'EXITED');

-- CreateEnum
CREATE TYPE "ProcedureStatus" AS ENUM ('ACTIVE', 'COMPLETED', 'CANCELLED');

-- CreateTable
CREATE TABLE "OrgUnit" (
    "id" TEXT NOT NULL,
    "code" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "level" "OrgLevel" NOT NULL,
    "parentId" TEXT,
    "path" TEXT NOT NULL,
    "western" BOOLEAN NOT NULL DEFAULT false,
    "profile" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OrgUnit_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Person" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "role" "Role" NOT NULL,
    "orgUnitId" TEXT NOT NULL,
    "phone" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Person_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ApiToken" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ApiToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Household" (
    "id" TEXT NOT NULL,
    "registryNo" TEXT NOT NULL,
    "headName" TEXT NOT NULL,
    "villageId" TEXT NOT NULL,
    "memberCount" INTEGER NOT NULL,
    "incomePerCapita" DECIMAL(12,2) NOT NULL,
    "foodClothingSecure" BOOLEAN NOT NULL,
    "compulsoryEducation" BOOLEAN NOT NULL,
    "basicMedical" BOOLEAN NOT NULL,
    "safeHousing" BOOLEAN NOT NULL,
    "status" "HouseholdStatus" NOT NULL DEFAULT 'POOR',
    "exitYear" INTEGER,
    "registryMarkedAt" TIMESTAMP(3),
    "registryMarkedBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Household_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "HouseholdMember" (
    "id" TEXT NOT NULL,
    "householdId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "relation" TEXT NOT NULL,
    "birthYear" INTEGER NOT NULL,

    CONSTRAINT "HouseholdMember_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Procedure" (
    "id" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "type" TEXT NOT NULL,
    "definitionId" TEXT NOT NULL,
    "definitionVersion" INTEGER NOT NULL,
    "profile" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "subjectName" TEXT NOT NULL,
    "householdId" TEXT,
    "orgUnitId" TEXT NOT NULL,
    "orgPath" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "status" "ProcedureStatus" NOT NULL,
    "currentStageKey" TEXT,
    "currentStageName" TEXT,
    "currentStageKind" TEXT,
    "responsibleOrgUnitId" TEXT,
    "responsibleRoles" TEXT[],
    "stageEnteredAt" TIMESTAMP(3),
    "dueAt" TIMESTAMP(3),
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "escalationLevel" INTEGER NOT NULL DEFAULT 0,
    "startedById" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "closedAt" TIMESTAMP(3),
    "stateSeq" INTEGER NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Procedure_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "StepRecord" (
    "id" TEXT NOT NULL,
    "procedureId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "stageKey" TEXT NOT NULL,
    "stageName" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actorId" TEXT,
    "actorName" TEXT,
    "actorOrgUnitId" TEXT,
    "actorRole" TEXT,
    "comment" TEXT,
    "attachments" JSONB NOT NULL DEFAULT '[]',
    "data" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "StepRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PublicNotice" (
    "id" TEXT NOT NULL,
    "procedureId" TEXT NOT NULL,
    "stageKey" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "orgUnitId" TEXT NOT NULL,
    "startsAt" TIMESTAMP(3) NOT NULL,
    "endsAt" TIMESTAMP(3) NOT NULL,
    "status" TEXT NOT NULL,

    CONSTRAINT "PublicNotice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Objection" (
    "id" TEXT NOT NULL,
    "noticeId" TEXT NOT NULL,
    "procedureId" TEXT NOT NULL,
    "objectorName" TEXT NOT NULL,
    "content" TEXT NOT NULL,
    "recordedById" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Objection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Escalation" (
    "id" TEXT NOT NULL,
    "procedureId" TEXT NOT NULL,
    "stageKey" TEXT NOT NULL,
    "round" INTEGER NOT NULL,
    "rung" INTEGER NOT NULL,
    "label" TEXT NOT NULL,
    "orgUnitId" TEXT NOT NULL,
    "stageDueAt" TIMESTAMP(3) NOT NULL,
    "escalatedAt" TIMESTAMP(3) NOT NULL,
    "resolvedAt" TIMESTAMP(3),

    CONSTRAINT "Escalation_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notification" (
    "id" TEXT NOT NULL,
    "dedupeKey" TEXT NOT NULL,
    "recipientId" TEXT NOT NULL,
    "procedureId" TEXT,
    "kind" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "channel" TEXT NOT NULL DEFAULT 'in-app',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "readAt" TIMESTAMP(3),

    CONSTRAINT "Notification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IdempotencyRecord" (
    "personId" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "route" TEXT NOT NULL,
    "requestHash" TEXT NOT NULL,
    "statusCode" INTEGER,
    "responseBody" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyRecord_pkey" PRIMARY KEY ("personId","key")
);

-- CreateIndex
CREATE UNIQUE INDEX "OrgUnit_code_key" ON "OrgUnit"("code");

-- CreateIndex
CREATE INDEX "OrgUnit_path_idx" ON "OrgUnit"("path");

-- CreateIndex
CREATE INDEX "OrgUnit_parentId_idx" ON "OrgUnit"("parentId");

-- CreateIndex
CREATE INDEX "Person_orgUnitId_role_idx" ON "Person"("orgUnitId", "role");

-- CreateIndex
CREATE UNIQUE INDEX "ApiToken_tokenHash_key" ON "ApiToken"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "Household_registryNo_key" ON "Household"("registryNo");

-- CreateIndex
CREATE INDEX "Household_villageId_idx" ON "Household"("villageId");

-- CreateIndex
CREATE INDEX "Procedure_workflowId_idx" ON "Procedure"("workflowId");

-- CreateIndex
CREATE INDEX "Procedure_orgPath_idx" ON "Procedure"("orgPath");

-- CreateIndex
CREATE INDEX "Procedure_responsibleOrgUnitId_status_dueAt_idx" ON "Procedure"("responsibleOrgUnitId", "status", "dueAt");

-- CreateIndex
CREATE INDEX "Procedure_status_overdue_dueAt_idx" ON "Procedure"("status", "overdue", "dueAt");

-- CreateIndex
CREATE INDEX "Procedure_subjectId_year_idx" ON "Procedure"("subjectId", "year");

-- CreateIndex
CREATE UNIQUE INDEX "StepRecord_procedureId_seq_key" ON "StepRecord"("procedureId", "seq");

-- CreateIndex
CREATE UNIQUE INDEX "PublicNotice_procedureId_stageKey_round_key" ON "PublicNotice"("procedureId", "stageKey", "round");

-- CreateIndex
CREATE UNIQUE INDEX "Escalation_procedureId_stageKey_round_rung_key" ON "Escalation"("procedureId", "stageKey", "round", "rung");

-- CreateIndex
CREATE UNIQUE INDEX "Notification_dedupeKey_key" ON "Notification"("dedupeKey");

-- CreateIndex
CREATE INDEX "Notification_recipientId_readAt_idx" ON "Notification"("recipientId", "readAt");

-- AddForeignKey
ALTER TABLE "OrgUnit" ADD CONSTRAINT "OrgUnit_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "OrgUnit"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_orgUnitId_fkey" FOREIGN KEY ("orgUnitId") REFERENCES "OrgUnit"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ApiToken" ADD CONSTRAINT "ApiToken_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "HouseholdMember" ADD CONSTRAINT "HouseholdMember_householdId_fkey" FOREIGN KEY ("householdId") REFERENCES "Household"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "StepRecord" ADD CONSTRAINT "StepRecord_procedureId_fkey" FOREIGN KEY ("procedureId") REFERENCES "Procedure"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PublicNotice" ADD CONSTRAINT "PublicNotice_procedureId_fkey" FOREIGN KEY ("procedureId") REFERENCES "Procedure"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Objection" ADD CONSTRAINT "Objection_noticeId_fkey" FOREIGN KEY ("noticeId") REFERENCES "PublicNotice"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Escalation" ADD CONSTRAINT "Escalation_procedureId_fkey" FOREIGN KEY ("procedureId") REFERENCES "Procedure"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
