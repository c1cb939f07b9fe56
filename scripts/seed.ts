/** Demo data: 国务院扶贫开发领导小组 → 山西省 → 吕梁市 → 临县 → 2 townships → 4 villages → 40 households, people and tokens. */
import { createPrisma } from '../lib/prisma';
import { buildDemoTree } from '../lib/demo';

async function main() {
  const db = createPrisma();
  const tree = await buildDemoTree(db, { prefix: 'demo', central: true });
  await db.$disconnect();
  const units = [...(tree.central ? [tree.central] : []), tree.province, tree.city, tree.county, ...tree.departments, ...tree.townships, ...tree.villages];
  console.log(JSON.stringify({ units: units.map((u) => ({ id: u.id, name: u.name, level: u.level, tokens: u.tokens })), households: tree.households.length }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
