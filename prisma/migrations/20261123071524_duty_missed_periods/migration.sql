-- AlterTable
ALTER TABLE "Duty" ADD COLUMN     "lastMissedAt" TIMESTAMP(3),
ADD COLUMN     "missedPeriods" INTEGER NOT NULL DEFAULT 0;
