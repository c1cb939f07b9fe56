-- CreateTable
CREATE TABLE "Assessment" (
    "id" TEXT NOT NULL,
    "workflowId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "assessorUnitId" TEXT NOT NULL,
    "assessorPath" TEXT NOT NULL,
    "definitionVersion" INTEGER NOT NULL,
    "status" TEXT NOT NULL,
    "step" TEXT NOT NULL,
    "stepDueAt" TIMESTAMP(3),
    "finishBy" TIMESTAMP(3) NOT NULL,
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "startedAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),
    "stateSeq" INTEGER NOT NULL,

    CONSTRAINT "Assessment_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AssessmentUnit" (
    "assessmentId" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "selfSummaryCaseId" TEXT,
    "selfSummaryAt" TIMESTAMP(3),
    "evaluation" JSONB,
    "evaluationSource" TEXT,
    "grade" TEXT,
    "problems" JSONB NOT NULL DEFAULT '[]',
    "feedbackAt" TIMESTAMP(3),
    "rectificationId" TEXT,

    CONSTRAINT "AssessmentUnit_pkey" PRIMARY KEY ("assessmentId","unitId")
);

-- CreateTable
CREATE TABLE "Interview" (
    "id" TEXT NOT NULL,
    "assessmentId" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "addresseeIds" TEXT[],
    "reason" TEXT NOT NULL,
    "rectifyBy" TIMESTAMP(3) NOT NULL,
    "rectificationId" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Interview_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Rectification" (
    "id" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,
    "unitPath" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "assessmentId" TEXT,
    "status" TEXT NOT NULL,
    "phase" TEXT NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL,
    "timetable" JSONB NOT NULL,
    "planSubmittedAt" TIMESTAMP(3),
    "reportSubmittedAt" TIMESTAMP(3),
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "stateSeq" INTEGER NOT NULL,

    CONSTRAINT "Rectification_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RectificationItem" (
    "rectificationId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "problemType" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "leadUnitId" TEXT NOT NULL,
    "responsibleUnitIds" TEXT[],
    "measures" TEXT NOT NULL,
    "deadlineKind" TEXT NOT NULL,
    "dueAt" TIMESTAMP(3),
    "dueProvisional" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL,
    "closedUnitIds" TEXT[],
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "evidence" JSONB NOT NULL DEFAULT '[]',
    "confirmedAt" TIMESTAMP(3),

    CONSTRAINT "RectificationItem_pkey" PRIMARY KEY ("rectificationId","seq")
);

-- CreateTable
CREATE TABLE "Duty" (
    "id" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "orgUnitId" TEXT NOT NULL,
    "unitPath" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "period" TEXT NOT NULL,
    "required" INTEGER NOT NULL,
    "periodStart" TIMESTAMP(3) NOT NULL,
    "periodEnd" TIMESTAMP(3) NOT NULL,
    "count" INTEGER NOT NULL,
    "missed" BOOLEAN NOT NULL DEFAULT false,
    "stateSeq" INTEGER NOT NULL,

    CONSTRAINT "Duty_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DutyRecord" (
    "id" TEXT NOT NULL,
    "dutyId" TEXT NOT NULL,
    "personId" TEXT NOT NULL,
    "date" TIMESTAMP(3) NOT NULL,
    "villageId" TEXT,
    "note" TEXT,
    "recordedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "DutyRecord_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CaseEvent" (
    "id" TEXT NOT NULL,
    "caseType" TEXT NOT NULL,
    "caseId" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "action" TEXT NOT NULL,
    "actorId" TEXT,
    "actorName" TEXT,
    "comment" TEXT,
    "data" JSONB NOT NULL DEFAULT '{}',
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CaseEvent_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Assessment_assessorPath_idx" ON "Assessment"("assessorPath");

-- CreateIndex
CREATE UNIQUE INDEX "Assessment_assessorUnitId_year_key" ON "Assessment"("assessorUnitId", "year");

-- CreateIndex
CREATE INDEX "AssessmentUnit_unitId_year_idx" ON "AssessmentUnit"("unitId", "year");

-- CreateIndex
CREATE INDEX "Rectification_unitPath_idx" ON "Rectification"("unitPath");

-- CreateIndex
CREATE INDEX "RectificationItem_leadUnitId_idx" ON "RectificationItem"("leadUnitId");

-- CreateIndex
CREATE INDEX "Duty_unitPath_idx" ON "Duty"("unitPath");

-- CreateIndex
CREATE UNIQUE INDEX "CaseEvent_caseType_caseId_seq_key" ON "CaseEvent"("caseType", "caseId", "seq");

-- AddForeignKey
ALTER TABLE "AssessmentUnit" ADD CONSTRAINT "AssessmentUnit_assessmentId_fkey" FOREIGN KEY ("assessmentId") REFERENCES "Assessment"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RectificationItem" ADD CONSTRAINT "RectificationItem_rectificationId_fkey" FOREIGN KEY ("rectificationId") REFERENCES "Rectification"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "DutyRecord" ADD CONSTRAINT "DutyRecord_dutyId_fkey" FOREIGN KEY ("dutyId") REFERENCES "Duty"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
