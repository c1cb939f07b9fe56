/**
 * Puts the calendar in motion for every province and city in the database: the December schedule
 * of each assessing unit, and the periodic duties of everyone; and the hourly housekeeping.
 * Idempotent; run by scripts/up.sh.
 */
import { Client, Connection } from '@temporalio/client';
import { createPrisma } from '../lib/prisma';
import { loadConfig } from '../lib/config';
import { loadAssessmentDefinition } from '../definitions';
import { ensureAssessmentSchedule } from '../api/services/assessments';
import { ensureDuties } from '../api/services/duties';
import { ensurePurgeSchedule } from '../api/services/maintenance';

async function main() {
  const config = loadConfig();
  const db = createPrisma(config.databaseUrl);
  const connection = await Connection.connect({ address: config.temporalAddress });
  const temporal = new Client({ connection, namespace: config.temporalNamespace });
  const day = loadAssessmentDefinition().startsOn.day;
  const assessors = await db.orgUnit.findMany({ where: { level: { in: ['CENTRAL', 'PROVINCE', 'CITY'] }, department: null } });
  for (const unit of assessors) await ensureAssessmentSchedule(temporal, unit.id, day);
  let duties = 0;
  for (const province of assessors.filter((u) => u.level === 'PROVINCE')) duties += await ensureDuties(db, temporal, province.path);
  await ensurePurgeSchedule(temporal, config.idempotencyRetentionHours);
  console.log(`assessment schedules: ${assessors.length} (12-${day} 09:00 Asia/Shanghai); periodic duties: ${duties}`);
  console.log(`idempotency keys: kept ${config.idempotencyRetentionHours} h, purged hourly`);
  await connection.close();
  await db.$disconnect();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
