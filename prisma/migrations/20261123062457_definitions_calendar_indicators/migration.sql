-- AlterTable
ALTER TABLE "OrgUnit" ADD COLUMN     "department" TEXT,
ADD COLUMN     "exitCaseId" TEXT,
ADD COLUMN     "exitYear" INTEGER;

-- AlterTable
ALTER TABLE "Procedure" ADD COLUMN     "blockedReason" TEXT,
ADD COLUMN     "dueProvisional" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "pendingOrgUnitIds" TEXT[];

-- CreateTable
CREATE TABLE "SubjectIndicator" (
    "id" TEXT NOT NULL,
    "subjectType" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "source" TEXT NOT NULL,
    "enteredById" TEXT NOT NULL,
    "caseId" TEXT,
    "enteredAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SubjectIndicator_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProcedureDefinitionVersion" (
    "procedureType" TEXT NOT NULL,
    "profile" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "definitionId" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "publishedById" TEXT NOT NULL,
    "publishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcedureDefinitionVersion_pkey" PRIMARY KEY ("procedureType","profile","version")
);

-- CreateTable
CREATE TABLE "CalendarYear" (
    "year" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "document" JSONB NOT NULL,
    "loadedById" TEXT NOT NULL,
    "loadedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CalendarYear_pkey" PRIMARY KEY ("year")
);

-- CreateIndex
CREATE UNIQUE INDEX "SubjectIndicator_subjectType_subjectId_year_key_key" ON "SubjectIndicator"("subjectType", "subjectId", "year", "key");
