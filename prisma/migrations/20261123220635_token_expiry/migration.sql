-- AlterTable
ALTER TABLE "ApiToken" ADD COLUMN     "expiresAt" TIMESTAMP(3),
ADD COLUMN     "revokedById" TEXT;

-- CreateIndex
CREATE INDEX "ApiToken_personId_idx" ON "ApiToken"("personId");
