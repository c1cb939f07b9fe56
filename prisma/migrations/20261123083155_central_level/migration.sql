-- AlterEnum
ALTER TYPE "OrgLevel" ADD VALUE 'CENTRAL';
