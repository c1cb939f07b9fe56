/**
 * Builds a five-level org tree (optionally under the central leading group) with people, bearer tokens and 建档立卡 households. Used by the demo
 * seed (scripts/seed.ts) and by the tests (each test file builds its own tree under a unique
 * prefix, so tests never share rows). Idempotent: running it twice changes nothing.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Db } from './prisma';
import { hashToken } from './tokens';
import { ROLES, type OrgLevel, type Role } from './org';

export interface DemoOptions {
  /** prefix of every id and token, e.g. "demo" or a test's unique tag */
  prefix: string;
  townships?: number;
  villagesPerTownship?: number;
  householdsPerVillage?: number;
  profile?: string;
  /** a western province (西部): the 3 % incidence threshold applies */
  western?: boolean;
  /** the province's name, e.g. 吉林省 (山西省 by default) */
  provinceName?: string;
  /** counties in the city (the townships, villages and departments are under the first) */
  counties?: number;
  /**
   * the central leading group above the province: `true` builds one under this prefix, a unit
   * (another tree's `central`) hangs this province under it; without it the province is the root
   */
  central?: true | DemoUnit;
  /**
   * secret the demo tokens are derived from (HMAC): a token cannot be guessed from a person's id.
   * Random by default (a test's tokens live only as long as its tree); the demo seed keeps one
   * under .data so that its printed tokens stay valid across runs.
   */
  tokenSecret?: string;
  /** how long the demo tokens stay valid (days, default 90) */
  tokenDays?: number;
}

export interface DemoUnit {
  id: string;
  name: string;
  level: OrgLevel;
  path: string;
  /** bearer token of this unit's staff member, deputy in charge and main leader */
  tokens: Record<Role, string>;
  people: Record<Role, string>;
  /** industry department (行业部门) of its parent unit, if it is one */
  department?: string;
}

export interface DemoTree {
  /** the central leading group, when the tree has one */
  central?: DemoUnit;
  province: DemoUnit;
  city: DemoUnit;
  county: DemoUnit;
  /** every county, the first being `county` */
  counties: DemoUnit[];
  townships: DemoUnit[];
  villages: DemoUnit[];
  /** the county's industry departments: education, health, housing, water */
  departments: DemoUnit[];
  /** every unit by id */
  units: Map<string, DemoUnit>;
  households: Array<{ id: string; villageId: string; registryNo: string; headName: string }>;
}

const SURNAMES = ['王', '李', '张', '刘', '陈', '杨', '赵', '黄', '周', '吴', '徐', '孙', '马', '朱', '胡', '郭', '何', '高', '林', '罗'];
const GIVEN = ['建国', '秀英', '志强', '桂兰', '德明', '玉梅', '国华', '春生', '金凤', '永福', '海燕', '保平', '翠花', '文斌', '兰英'];
const TITLES: Record<OrgLevel, Record<Role, string>> = {
  CENTRAL: { LEADER: '国务院扶贫开发领导小组组长', DEPUTY: '国务院扶贫开发领导小组副组长', STAFF: '国务院扶贫办工作人员' },
  PROVINCE: { LEADER: '省扶贫开发领导小组组长', DEPUTY: '省扶贫开发领导小组副组长', STAFF: '省扶贫办工作人员' },
  CITY: { LEADER: '市委书记', DEPUTY: '分管副市长', STAFF: '市扶贫办工作人员' },
  COUNTY: { LEADER: '县委书记', DEPUTY: '分管副县长', STAFF: '县扶贫办工作人员' },
  TOWNSHIP: { LEADER: '乡镇党委书记', DEPUTY: '分管副乡镇长', STAFF: '乡镇扶贫工作站干部' },
  VILLAGE: { LEADER: '村党支部书记', DEPUTY: '驻村第一书记', STAFF: '村委会文书' },
};
const DEPARTMENTS: Array<{ key: string; name: string }> = [
  { key: 'education', name: '教育局' },
  { key: 'health', name: '卫生健康局' },
  { key: 'housing', name: '住房和城乡建设局' },
  { key: 'water', name: '水利局' },
];
const DEPARTMENT_TITLES: Record<Role, string> = { LEADER: '局长', DEPUTY: '分管副局长', STAFF: '股室工作人员' };

const personName = (n: number) => `${SURNAMES[n % SURNAMES.length]}${GIVEN[Math.floor(n / SURNAMES.length) % GIVEN.length]}`;

export async function buildDemoTree(db: Db, opts: DemoOptions): Promise<DemoTree> {
  const { prefix, townships = 2, villagesPerTownship = 2, householdsPerVillage = 10, profile = 'national', western = false } = opts;
  const secret = opts.tokenSecret ?? randomBytes(32).toString('hex');
  const expiresAt = new Date(Date.now() + (opts.tokenDays ?? 90) * 86_400_000);
  let personSeq = 0;

  async function unit(level: OrgLevel, localId: string, name: string, parent?: DemoUnit, department?: string): Promise<DemoUnit> {
    const id = `${prefix}-${localId}`;
    const path = `${parent?.path ?? '/'}${id}/`;
    await db.orgUnit.upsert({
      where: { id },
      create: {
        id,
        code: id,
        name,
        level,
        parentId: parent?.id,
        path,
        profile: level === 'PROVINCE' ? profile : null,
        western: level === 'PROVINCE' && western,
        department,
      },
      update: {},
    });
    const tokens = {} as Record<Role, string>;
    const people = {} as Record<Role, string>;
    for (const role of ROLES) {
      const personId = `${id}-${role.toLowerCase()}`;
      const token = `${prefix}.${localId}.${role.toLowerCase()}.${createHmac('sha256', secret).update(personId).digest('base64url').slice(0, 22)}`;
      await db.person.upsert({
        where: { id: personId },
        create: { id: personId, name: personName(personSeq), title: department ? `${name}${DEPARTMENT_TITLES[role]}` : TITLES[level][role], role, orgUnitId: id },
        update: {},
      });
      await db.apiToken.upsert({
        where: { tokenHash: hashToken(token) },
        create: { tokenHash: hashToken(token), label: `demo token of ${personId}`, personId, expiresAt },
        update: {},
      });
      // demo data seeded before tokens were derived from a secret held a guessable one: revoke it
      await db.apiToken.updateMany({
        where: { tokenHash: hashToken(`${prefix}.${localId}.${role.toLowerCase()}.token`), revokedAt: null },
        data: { revokedAt: new Date() },
      });
      personSeq++;
      tokens[role] = token;
      people[role] = personId;
    }
    return { id, name, level, path, tokens, people, ...(department ? { department } : {}) };
  }

  const central = opts.central === true ? await unit('CENTRAL', 'cn', '国务院扶贫开发领导小组') : opts.central;
  const province = await unit('PROVINCE', 'p', opts.provinceName ?? '山西省', central);
  const city = await unit('CITY', 'c', '吕梁市', province);
  const county = await unit('COUNTY', 'k', '临县', city);
  const countyNames = ['兴县', '岚县', '石楼县', '方山县'];
  const counties = [county];
  for (let k = 1; k < (opts.counties ?? 1); k++) counties.push(await unit('COUNTY', `k${k + 1}`, countyNames[(k - 1) % countyNames.length], city));
  const departments: DemoUnit[] = [];
  for (const d of DEPARTMENTS) departments.push(await unit('COUNTY', `k-${d.key}`, `${county.name}${d.name}`, county, d.key));
  const townshipNames = ['城庄镇', '白文镇', '安业乡', '雷家碛乡'];
  const villageNames = ['郝家坡村', '南沟村', '刘家会村', '杨家庄村', '前青塘村', '后青塘村', '木瓜坪村', '东坡村'];
  const tree: DemoTree = { ...(central ? { central } : {}), province, city, county, counties, townships: [], villages: [], households: [], departments, units: new Map() };
  for (let t = 0; t < townships; t++) {
    const township = await unit('TOWNSHIP', `t${t + 1}`, townshipNames[t % townshipNames.length], county);
    tree.townships.push(township);
    for (let v = 0; v < villagesPerTownship; v++) {
      const n = t * villagesPerTownship + v;
      const village = await unit('VILLAGE', `v${n + 1}`, villageNames[n % villageNames.length], township);
      tree.villages.push(village);
      for (let h = 0; h < householdsPerVillage; h++) {
        const id = `${prefix}-hh-${n + 1}-${h + 1}`;
        const registryNo = `${prefix}-141124-${String(n + 1).padStart(3, '0')}-${String(h + 1).padStart(4, '0')}`;
        const headName = personName(1000 + n * householdsPerVillage + h);
        const memberCount = 2 + (h % 4);
        await db.household.upsert({
          where: { id },
          create: {
            id,
            registryNo,
            headName,
            villageId: village.id,
            memberCount,
            incomePerCapita: 4200 + 150 * h,
            foodClothingSecure: true,
            compulsoryEducation: true,
            basicMedical: true,
            safeHousing: h % 7 !== 6,
            members: {
              create: Array.from({ length: memberCount }, (_, m) => ({
                name: m === 0 ? headName : personName(2000 + n * 50 + h * 5 + m),
                relation: ['户主', '配偶', '子女', '子女', '父母'][m],
                birthYear: m === 0 ? 1965 + h : m === 1 ? 1967 + h : m === 4 ? 1945 : 1995 + m + h,
              })),
            },
          },
          update: {},
        });
        tree.households.push({ id, villageId: village.id, registryNo, headName });
      }
    }
  }
  for (const u of [...(opts.central === true && central ? [central] : []), province, city, ...counties, ...departments, ...tree.townships, ...tree.villages]) tree.units.set(u.id, u);
  return tree;
}
