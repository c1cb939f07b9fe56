/**
 * Procedure definitions are data, validated before use: the shipped ones parse, and broken ones
 * are refused with the zod path of each problem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefinitionError, DefinitionRegistry, parseDefinition } from '../definitions';
import { ProcedureDefinition } from '../workflows/procedure/definition';

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
