/** Demo data: 国务院扶贫开发领导小组 → 山西省 → 吕梁市 → 临县 → 2 townships → 4 villages → 40 households, people and tokens. */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { createPrisma } from '../lib/prisma';
import { buildDemoTree } from '../lib/demo';

/**
 * Demo people hold real bearer tokens, so the seed runs only where demo mode is asked for
 * (FUPIN_DEMO=1, as scripts/up.sh sets on the embedded defaults). Their tokens derive from a
 * random secret kept in DEMO_SECRET_FILE, so the printed tokens stay valid across runs and cannot
 * be guessed elsewhere.
 */
function demoSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

async function main() {
  if (process.env.FUPIN_DEMO !== '1') {
    console.error('refusing to seed demo people and tokens: set FUPIN_DEMO=1 (demo mode) to do so');
    process.exit(2);
  }
  const secretFile = process.env.DEMO_SECRET_FILE ?? `${process.env.DATA_DIR ?? '.data'}/demo-secret`;
  const db = createPrisma();
  const tree = await buildDemoTree(db, { prefix: 'demo', central: true, tokenSecret: demoSecret(secretFile), tokenDays: 365 });
  await db.$disconnect();
  const units = [...(tree.central ? [tree.central] : []), tree.province, tree.city, tree.county, ...tree.departments, ...tree.townships, ...tree.villages];
  console.log(JSON.stringify({ units: units.map((u) => ({ id: u.id, name: u.name, level: u.level, tokens: u.tokens })), households: tree.households.length }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
