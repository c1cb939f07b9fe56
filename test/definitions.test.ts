/**
 * Procedure definitions are data, validated before use: the shipped ones parse, and broken ones
 * are refused with the zod path of each problem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefinitionError, DefinitionRegistry, parseDefinition } from '../definitions';
import { MANDATORY_STAGES, ProcedureDefinition, indicatorDeclarations } from '../workflows/procedure/definition';
import { loadAssessmentDefinition } from '../definitions';

const national = JSON.parse(readFileSync(join(__dirname, '..', 'definitions', 'household-exit', 'national.v1.json'), 'utf8'));
const clone = () => JSON.parse(JSON.stringify(national));
const pathsOf = (doc: unknown) => {
  const r = ProcedureDefinition.safeParse(doc);
  return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
};

test('the shipped household exit follows the six steps of the domain brief', () => {
  const def = DefinitionRegistry.loadFrom().latest('household-exit', 'national');
  expect(def.stages.map((s) => `${s.kind}:${s.key}@${s.level}`)).toEqual([
    'signoff:village_appraisal@VILLAGE',
    'signoff:village_verification@VILLAGE',
    'notice:village_notice@VILLAGE',
    'signoff:township_verification@TOWNSHIP',
    'notice:township_notice@TOWNSHIP',
    'signoff:county_approval@COUNTY',
    'signoff:announcement@COUNTY',
    'automatic:registry_marking@COUNTY',
  ]);
  const notice = def.stages.find((s) => s.key === 'village_notice');
  expect(notice).toMatchObject({ duration: { days: 7, calendar: 'natural' }, onObjection: { returnTo: 'village_verification' } });
});

test('an unknown profile falls back to the national default', () => {
  expect(DefinitionRegistry.loadFrom().latest('household-exit', 'no-such-province').profile).toBe('national');
});

test.each([
  ['a return to a later stage', (d: any) => (d.stages[1].onReject.returnTo = 'county_approval'), 'stages.1.onReject.returnTo'],
  ['a return to an unknown stage', (d: any) => (d.stages[2].onObjection.returnTo = 'nowhere'), 'stages.2.onObjection.returnTo'],
  ['a duplicate stage key', (d: any) => (d.stages[3].key = 'village_appraisal'), 'stages.3.key'],
  ['an unknown stage kind', (d: any) => (d.stages[0].kind = 'vote'), 'stages.0.kind'],
  ['an automatic action not on the allow-list', (d: any) => (d.stages[7].action = 'deleteHousehold'), 'stages.7.action'],
  ['a sign-off without roles', (d: any) => (d.stages[0].roles = []), 'stages.0.roles'],
  ['a negative notice period', (d: any) => (d.stages[2].duration.days = -7), 'stages.2.duration.days'],
  ['an unknown org level', (d: any) => (d.stages[5].level = 'DISTRICT'), 'stages.5.level'],
  ['an unknown field', (d: any) => (d.stages[0].approver = 'anyone'), 'stages.0'],
])('%s is refused at its path', (_label, breakIt, path) => {
  const doc = clone();
  breakIt(doc);
  expect(pathsOf(doc)).toContain(path);
  expect(() => parseDefinition(doc)).toThrow(DefinitionError);
});

// ---- issue 7 item 4: whole days, mandatory stages; item 6: who enters each figure; item 10: cancellation

const shipped = (procedureType: string, profile = 'national') =>
  JSON.parse(readFileSync(join(__dirname, '..', 'definitions', procedureType, `${profile}.v1.json`), 'utf8'));
const issuesOf = (doc: unknown) => {
  const r = ProcedureDefinition.safeParse(doc);
  return r.success ? [] : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
};
const withoutStage = (doc: any, key: string) => ({ ...doc, stages: doc.stages.filter((st: { key: string }) => st.key !== key) });

describe('durations are whole days', () => {
  test.each([
    ['a notice of a thousandth of a day', (d: any) => (d.stages[2].duration = { days: 0.001 }), 'stages.2.duration.days'],
    ['a sign-off due in half a day', (d: any) => (d.stages[0].due = { days: 0.5 }), 'stages.0.due.days'],
    ['an escalation grace of 1.5 days', (d: any) => (d.escalation.grace = { days: 1.5 }), 'escalation.grace.days'],
    ['a ladder rung after a fraction of a day', (d: any) => (d.escalation.ladder[0].after = { days: 0.01 }), 'escalation.ladder.0.after.days'],
    ['a reminder a fraction of a day before', (d: any) => (d.escalation.remindBefore = [{ days: 0.25 }]), 'escalation.remindBefore.0.days'],
    ['a notice of zero days', (d: any) => (d.stages[2].duration = { days: 0 }), 'stages.2.duration.days'],
  ])('%s is refused at its path', (_label, breakIt, path) => {
    const doc = clone();
    breakIt(doc);
    expect(pathsOf(doc)).toContain(path);
  });
});

describe('every definition keeps the mandatory stages of its procedure type', () => {
  test('every shipped definition meets them, and so do the assessment and its self-summary cases', () => {
    const registry = DefinitionRegistry.loadFrom();
    expect(registry.all().length).toBeGreaterThanOrEqual(8);
    for (const def of registry.all()) expect(issuesOf(def)).toEqual([]);
    const assessment = loadAssessmentDefinition();
    expect(assessment.escalation.grace.days).toBe(3);
    // the self-summary case as the assessment builds it (workflows/assessment/workflow.ts)
    for (const level of ['PROVINCE', 'CITY', 'COUNTY'] as const) {
      const selfSummary = {
        id: 'self-summary',
        version: assessment.version,
        profile: assessment.profile,
        procedureType: 'self-summary',
        name: `2026年度${assessment.name}·自评总结`,
        subjectLevel: level,
        basis: ['003 篇二 第六条(一): 对照减贫计划，就工作进展情况和取得成效形成总结报告'],
        escalation: assessment.escalation,
        stages: [
          {
            key: 'self_summary',
            name: '自评总结报告',
            kind: 'signoff',
            level,
            roles: ['DEPUTY', 'LEADER'],
            due: { until: '2027-01-10T16:00:00.000Z' },
            confirmations: [],
            indicators: assessment.selfSummaryIndicators,
          },
        ],
      };
      expect(issuesOf(selfSummary)).toEqual([]);
      // the assessed unit enters its own self-summary figures: that is what a self-summary is
      const parsed = ProcedureDefinition.parse(selfSummary);
      expect(indicatorDeclarations(parsed)).toEqual([
        expect.objectContaining({ key: 'poverty_reduction', enteredBy: { levels: [level], roles: ['DEPUTY', 'LEADER'] }, min: 0 }),
      ]);
    }
  });

  test('the requirements are declared per procedure type, as data with their seed articles', () => {
    for (const type of ['household-exit', 'village-exit', 'county-exit'] as const) {
      const requirements = MANDATORY_STAGES[type] ?? [];
      expect(requirements.length).toBeGreaterThanOrEqual(4);
      for (const r of requirements) {
        expect(r.label).toMatch(/[\u4e00-\u9fff]/);
        expect(r.basis).toMatch(/\d{3} |2016|\(二十八\)/);
      }
    }
  });

  test.each([
    ['household exit without the county approval', 'household-exit', 'national', (d: any) => withoutStage(d, 'county_approval'), 'exit_approval'],
    ['household exit without the village notice', 'household-exit', 'national', (d: any) => withoutStage(d, 'village_notice'), 'village_notice'],
    ['household exit without the township notice', 'household-exit', 'national', (d: any) => withoutStage(d, 'township_notice'), 'township_notice'],
    [
      'household exit without any village sign-off (民主评议)',
      'household-exit',
      'jilin',
      (d: any) => ({ ...d, stages: d.stages.filter((st: any) => !(st.kind === 'signoff' && st.level === 'VILLAGE')) }),
      'village_appraisal',
    ],
    [
      'household exit approved by county staff',
      'household-exit',
      'national',
      (d: any) => ({ ...d, stages: d.stages.map((st: any) => (st.key === 'county_approval' ? { ...st, roles: ['STAFF', 'DEPUTY', 'LEADER'] } : st)) }),
      'exit_approval',
    ],
    [
      'household exit marked before the announcement',
      'household-exit',
      'national',
      (d: any) => ({ ...d, stages: [...d.stages.slice(0, 6), d.stages[7], d.stages[6]] }),
      'registry_marking',
    ],
    ['Shanxi household exit without the township approval', 'household-exit', 'shanxi', (d: any) => withoutStage(d, 'township_approval'), 'exit_approval'],
    ['village exit without the county approval', 'village-exit', 'national', (d: any) => withoutStage(d, 'county_approval'), 'county_approval'],
    ['village exit without the notice', 'village-exit', 'jilin', (d: any) => withoutStage(d, 'township_notice'), 'notice'],
    [
      'village exit with a 50 % incidence threshold',
      'village-exit',
      'national',
      (d: any) => ({ ...d, stages: d.stages.map((st: any) => (st.kind === 'check' ? { ...st, rules: [{ ...st.rules[0], threshold: 0.5, westernThreshold: 0.5 }] } : st)) }),
      'incidence_check',
    ],
    ['county exit without the notice', 'county-exit', 'national', (d: any) => withoutStage(d, 'province_notice'), 'province_notice'],
    [
      'county exit approved by a provincial deputy',
      'county-exit',
      'gansu',
      (d: any) => ({ ...d, stages: d.stages.map((st: any) => (st.key === 'provincial_approval' ? { ...st, roles: ['DEPUTY', 'LEADER'] } : st)) }),
      'provincial_approval',
    ],
    ['county exit without the filing with the State Council', 'county-exit', 'national', (d: any) => withoutStage(d, 'state_council_filing'), 'state_council_filing'],
    [
      'county exit without the public approval rule',
      'county-exit',
      'national',
      (d: any) => ({ ...d, stages: d.stages.map((st: any) => (st.kind === 'check' ? { ...st, rules: st.rules.slice(0, 3) } : st)) }),
      'veto_check',
    ],
  ])('%s is refused, naming the requirement', (_label, type, profile, breakIt, requirement) => {
    const doc = breakIt(shipped(type, profile));
    const found = issuesOf(doc).filter((i) => i.path === `stages.mandatory.${requirement}`);
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(/[\u4e00-\u9fff]/); // the Chinese label of the step
    expect(() => parseDefinition(doc)).toThrow(DefinitionError);
  });

  test('a one-stage national definition that marks the household exited at once is refused on every requirement', () => {
    const doc = { ...shipped('household-exit'), stages: [shipped('household-exit').stages[7]] };
    expect(pathsOf(doc).filter((p) => p.startsWith('stages.mandatory.')).sort()).toEqual(
      ['exit_approval', 'township_notice', 'village_appraisal', 'village_notice'].map((k) => `stages.mandatory.${k}`),
    );
  });
});

describe('who enters each figure (item 6)', () => {
  test('the shipped exits declare the enterers and the ranges: rates lie in [0, 1]', () => {
    const registry = DefinitionRegistry.loadFrom();
    for (const profile of ['national', 'jilin']) {
      expect(registry.latest('village-exit', profile).indicators).toEqual([
        expect.objectContaining({ key: 'incidence_rate', enteredBy: { levels: ['TOWNSHIP', 'COUNTY'], roles: ['STAFF', 'DEPUTY', 'LEADER'] }, min: 0, max: 1 }),
      ]);
    }
    for (const profile of ['national', 'gansu']) {
      const county = registry.latest('county-exit', profile);
      expect(county.indicators?.map((i) => i.key)).toEqual(['incidence_rate', 'wrongful_exit_rate', 'missed_identification_rate', 'public_approval']);
      for (const i of county.indicators!) expect(i).toMatchObject({ enteredBy: { levels: ['PROVINCE'] }, min: 0, max: 1 });
    }
  });

  test.each([
    ['the village entering its own incidence figure', (d: any) => (d.indicators[0].enteredBy.levels = ['VILLAGE', 'TOWNSHIP']), 'indicators.0.enteredBy.levels'],
    ['a range upside down', (d: any) => Object.assign(d.indicators[0], { min: 1, max: 0 }), 'indicators.0.max'],
    ['a figure declared twice', (d: any) => d.indicators.push({ ...d.indicators[0] }), 'indicators.1.key'],
    ['a check on an undeclared figure', (d: any) => (d.stages[1].rules[0].indicator = 'other_rate'), 'stages.1.rules.0.indicator'],
    ['a sign-off asking for a figure its level does not enter', (d: any) => (d.indicators[0].enteredBy.levels = ['COUNTY']), 'stages.0.indicators.0.key'],
    ['no declaration at all', (d: any) => delete d.indicators, 'indicators'],
  ])('%s is refused at its path', (_label, breakIt, path) => {
    const doc = shipped('village-exit');
    breakIt(doc);
    expect(pathsOf(doc)).toContain(path);
  });

  test('a definition recorded before the declarations gets conservative ones: the checking levels, never the subject, no negative figure', () => {
    const old = shipped('village-exit');
    delete old.indicators;
    // parsed as the workflow receives it from an old history (no validation of the new fields)
    const def = { ...old, stages: ProcedureDefinition.parse(shipped('village-exit')).stages } as ProcedureDefinition;
    expect(indicatorDeclarations(def)).toEqual([
      { key: 'incidence_rate', label: '综合贫困发生率（小数，如 0.015）', enteredBy: { levels: ['TOWNSHIP'], roles: ['STAFF', 'DEPUTY', 'LEADER'] }, min: 0, max: 1 },
    ]);
  });
});

describe('cancellation rights (item 10)', () => {
  test('the shipped exits declare who cancels, and a broken rule is refused', () => {
    for (const def of DefinitionRegistry.loadFrom().all().filter((d) => d.procedureType.endsWith('-exit'))) {
      expect(def.cancelledBy).toEqual({ roles: ['DEPUTY', 'LEADER'], atOrAbove: 'responsible' });
    }
    expect(pathsOf({ ...clone(), cancelledBy: { roles: [], atOrAbove: 'responsible' } })).toContain('cancelledBy.roles');
    expect(pathsOf({ ...clone(), cancelledBy: { roles: ['LEADER'], atOrAbove: 'anyone' } })).toContain('cancelledBy.atOrAbove');
    expect(pathsOf({ ...clone(), cancelledBy: { roles: ['LEADER'], atOrAbove: 'COUNTY' } })).toEqual([]);
  });
});
