/**
 * The procedure engine's rules without a server (workflows/procedure/rules.ts): who may decide what
 * at which stage, as the update validators answer it. Milliseconds; the same rules run inside the
 * workflow, where test/household-exit.*.test.ts and the authorisation matrix drive them for real.
 * Stages of the shipped definitions: national household exit (000 篇三 第四十条, 第四十二条), Gansu's
 * industry acceptance (000 篇二 第十六条), village exit figures entered from above (退出机制意见 2016).
 */
import { DefinitionRegistry } from '../definitions';
import type { Actor, CaseState, SignOffCommand } from '../workflows/procedure/contract';
import { CaseRules } from '../workflows/procedure/rules';
import type { OrgLevel, Role } from '../workflows/procedure/definition';

const registry = DefinitionRegistry.loadFrom();
const orgPath = { PROVINCE: 'p', CITY: 'c', COUNTY: 'k', TOWNSHIP: 't', VILLAGE: 'v' };
const departments = { education: 'k-edu', health: 'k-health', housing: 'k-housing', water: 'k-water' };
const UNIT: Record<string, OrgLevel> = { p: 'PROVINCE', c: 'CITY', k: 'COUNTY', t: 'TOWNSHIP', v: 'VILLAGE' };

const actor = (orgUnitId: string, role: Role): Actor => ({ personId: `${orgUnitId}-${role}`, name: `${UNIT[orgUnitId] ?? orgUnitId}·${role}`, orgUnitId, role });

function caseAt(procedureType: string, stageKey: string, profile = 'national', extra: Partial<CaseState> = {}) {
  const def = registry.latest(procedureType, profile);
  const stageIndex = def.stages.findIndex((s) => s.key === stageKey);
  if (stageIndex < 0) throw new Error(`no stage ${stageKey}`);
  const state: CaseState = {
    status: 'ACTIVE',
    stageIndex,
    round: stageIndex + 1,
    stageEnteredAt: new Date(Date.now() - 86_400_000).toISOString(),
    dueAt: new Date(Date.now() + 6 * 86_400_000).toISOString(),
    overdue: false,
    remindersSent: 0,
    escalationLevel: 0,
    entered: true,
    history: [],
    projectedCount: 0,
    seq: 0,
    ...extra,
  };
  return new CaseRules(def, { orgPath, departments }, state);
}

/** The FailureType a rule throws, or 'ok'. */
function verdict(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (err) {
    return (err as { type?: string }).type ?? String(err);
  }
}

const signOff = (stageKey: string, by: Actor, extra: Partial<SignOffCommand> = {}): SignOffCommand => ({
  stageKey,
  decision: 'approve',
  confirmations: [],
  attachments: [],
  actor: by,
  ...extra,
});

describe('sign-off', () => {
  const atVerification = () => caseAt('household-exit', 'village_verification');

  test('the responsible unit signs with its confirmations; any other unit, role or stage is refused by type', () => {
    const c = atVerification();
    expect(verdict(() => c.validateSignOff(signOff('village_verification', actor('v', 'DEPUTY'), { confirmations: ['household_acknowledged'] })))).toBe('ok');
    expect(verdict(() => c.validateSignOff(signOff('village_verification', actor('v', 'DEPUTY'))))).toBe('MissingConfirmation'); // 户认可
    expect(verdict(() => c.validateSignOff(signOff('village_verification', actor('t', 'DEPUTY'), { confirmations: ['household_acknowledged'] })))).toBe('WrongOrgUnit');
    expect(verdict(() => c.validateSignOff(signOff('village_appraisal', actor('v', 'STAFF'))))).toBe('AlreadyDecided');
    expect(verdict(() => c.validateSignOff(signOff('county_approval', actor('k', 'LEADER'))))).toBe('WrongStage');
    expect(verdict(() => c.validateSignOff(signOff('no_such_stage', actor('v', 'STAFF'))))).toBe('WrongStage');
    expect(verdict(() => c.validateSignOff(signOff('village_verification', actor('v', 'DEPUTY'), { branchKey: 'education' })))).toBe('InvalidInput');
  });

  test('the county approval is a deputy’s or leader’s; the announcement cannot be rejected', () => {
    const approval = caseAt('household-exit', 'county_approval');
    expect(verdict(() => approval.validateSignOff(signOff('county_approval', actor('k', 'STAFF'))))).toBe('WrongRole');
    expect(verdict(() => approval.validateSignOff(signOff('county_approval', actor('k', 'LEADER'), { decision: 'reject' })))).toBe('ok');
    const announcement = caseAt('household-exit', 'announcement');
    expect(verdict(() => announcement.validateSignOff(signOff('announcement', actor('k', 'STAFF'), { decision: 'reject' })))).toBe('NotRejectable');
  });

  test('a notice stage is not signed, and a closed case takes no decision', () => {
    expect(verdict(() => caseAt('household-exit', 'village_notice').validateSignOff(signOff('village_notice', actor('v', 'STAFF'))))).toBe('WrongStage');
    const closed = caseAt('household-exit', 'announcement', 'national', { status: 'COMPLETED' });
    expect(verdict(() => closed.validateSignOff(signOff('announcement', actor('k', 'STAFF'))))).toBe('CaseClosed');
  });

  test('Gansu: each industry department signs its own branch, once; the branches left are who must act', () => {
    const c = caseAt('household-exit', 'industry_acceptance', 'gansu', { branchSigned: { industry_acceptance: ['education'] } });
    const stage = c.currentStage();
    expect(c.pendingUnits(stage)).toEqual(['k-health', 'k-housing', 'k-water']);
    expect(verdict(() => c.validateSignOff(signOff('industry_acceptance', actor('k-health', 'STAFF'), { branchKey: 'health' })))).toBe('ok');
    expect(verdict(() => c.validateSignOff(signOff('industry_acceptance', actor('k-edu', 'STAFF'), { branchKey: 'education' })))).toBe('AlreadyDecided');
    expect(verdict(() => c.validateSignOff(signOff('industry_acceptance', actor('k-water', 'STAFF'), { branchKey: 'health' })))).toBe('WrongOrgUnit');
    expect(verdict(() => c.validateSignOff(signOff('industry_acceptance', actor('k', 'STAFF'))))).toBe('InvalidInput'); // which branch?
  });
});

describe('objection, figures, cancellation', () => {
  test('an objection is taken while the notice runs, from a unit of the case, and not after it', () => {
    const open = caseAt('household-exit', 'village_notice');
    const objection = { objectorName: '李秀英', content: '收入核算有误', attachments: [], actor: actor('v', 'STAFF') };
    expect(verdict(() => open.validateObjection(objection))).toBe('ok');
    expect(verdict(() => open.validateObjection({ ...objection, actor: actor('elsewhere', 'STAFF') }))).toBe('WrongOrgUnit');
    const over = caseAt('household-exit', 'village_notice', 'national', { dueAt: new Date(Date.now() - 1000).toISOString() });
    expect(verdict(() => over.validateObjection(objection))).toBe('NoticeNotOpen');
    expect(verdict(() => caseAt('household-exit', 'county_approval').validateObjection({ ...objection, actor: actor('k', 'STAFF') }))).toBe('NoticeNotOpen');
  });

  test('a village never enters the incidence rate of its own exit; the township does, within [0, 1]', () => {
    const c = caseAt('village-exit', 'township_investigation');
    const figures = (by: Actor, value: number) => ({ values: { incidence_rate: value }, source: '统计年报', actor: by });
    expect(verdict(() => c.validateIndicators(figures(actor('v', 'LEADER'), 0.01)))).toBe('WrongOrgUnit');
    expect(verdict(() => c.validateIndicators(figures(actor('t', 'STAFF'), 0.01)))).toBe('ok');
    expect(verdict(() => c.validateIndicators(figures(actor('t', 'STAFF'), 1.5)))).toBe('InvalidInput');
    expect(verdict(() => c.validateIndicators({ values: { unknown_figure: 1 }, source: 'x', actor: actor('t', 'STAFF') }))).toBe('InvalidInput');
  });

  test('a case waiting on the county is cancelled by the county or above, by a deputy or leader', () => {
    const c = caseAt('household-exit', 'county_approval');
    const cancel = (by: Actor) => ({ reason: '户主申请暂缓退出', actor: by });
    expect(verdict(() => c.validateCancel(cancel(actor('k', 'LEADER'))))).toBe('ok');
    expect(verdict(() => c.validateCancel(cancel(actor('p', 'DEPUTY'))))).toBe('ok');
    expect(verdict(() => c.validateCancel(cancel(actor('t', 'LEADER'))))).toBe('WrongOrgUnit');
    expect(verdict(() => c.validateCancel(cancel(actor('k', 'STAFF'))))).toBe('WrongRole');
  });
});

test('who is told: the unit above a stage (a province’s is its own top when no central group is in the path)', () => {
  const c = caseAt('household-exit', 'village_appraisal');
  expect(c.parentUnitOf('VILLAGE')).toBe('t');
  expect(c.parentUnitOf('PROVINCE')).toBe('p');
  expect(c.rolesOf(c.currentStage())).toEqual(['STAFF', 'DEPUTY', 'LEADER']);
  expect(c.durationOf(c.currentStage())).toMatchObject({ days: expect.any(Number) });
});
