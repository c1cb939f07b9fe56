/**
 * A rectification (反馈问题整改, 003 篇五) whose history passes its bound continues as new and carries
 * its state: the timetable, the items, the deadlines already handled and who was escalated. The
 * bound is forced low (`historyBound`; default 10 000) so that one rectification runs over several
 * runs; each phase still opens and closes once, each late thing is escalated once, and the audit
 * trail has no gap. Time-skipping server.
 */
import { loadAssessmentDefinition } from '../definitions';
import { chinaDate } from '../lib/dates';
import type { RectificationInput } from '../workflows/assessment/contract';
import { TASK_QUEUE } from '../workflows/procedure/contract';
import { eventually, runsOf, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'rcn', townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
});
afterAll(async () => s?.stop());

const DAY = 86_400_000;

test('a rectification over several runs: each phase and each late item handled once, the trail whole', async () => {
  const { province, city, county } = s.tree;
  const def = loadAssessmentDefinition('national');
  const rectificationId = `rectification:${province.id}:${county.id}:2026-bounded`;
  const now = await s.env.currentTimeMs();
  const input: RectificationInput = {
    rectificationId,
    issuedAt: new Date(now).toISOString(),
    year: 2026,
    unit: { id: county.id, name: county.name, orgPath: { PROVINCE: province.id, CITY: city.id, COUNTY: county.id } },
    problems: [
      { seq: 1, type: 'funds_violation', label: '违反扶贫资金管理使用规定', description: '扶贫资金滞留' },
      { seq: 2, type: 'plan_not_completed', label: '未完成减贫计划任务', description: '易地搬迁任务未完成' },
    ],
    phases: def.rectification.phases,
    overdueItemsForLevelUp: def.rectification.overdueItemsForLevelUp,
    escalation: def.rectification.escalation,
    historyBound: 40,
  };
  const handle = await s.env.client.workflow.start('rectificationWorkflow', { taskQueue: TASK_QUEUE, workflowId: rectificationId, args: [input] });
  await eventually(() => s.db.rectification.findUnique({ where: { id: rectificationId } }));

  const plan = await s.as(county.tokens.LEADER).post(`/rectifications/${rectificationId}/plan`, {
    items: [
      { problemSeq: 1, leadUnitId: county.id, responsibleUnitIds: [county.id], measures: '清理滞留资金', deadline: { date: chinaDate(now + 10 * DAY) } },
      { problemSeq: 2, leadUnitId: county.id, responsibleUnitIds: [county.id], measures: '加快搬迁', deadline: { standing: true } },
    ],
  });
  expect(plan.status).toBe(200);

  // past every phase: item 1 overdue, the report never sent, the completion missed
  await s.env.sleep(43 * DAY);

  const late = await eventually(async () => {
    const r = await s.as(city.tokens.LEADER).get(`/rectifications/${rectificationId}`);
    return r.body.events?.some((e: { action: string; data: { phase?: string } }) => e.action === 'PHASE_CLOSED' && e.data.phase === 'completion') ? r.body : undefined;
  }, 60_000);
  expect(await runsOf(s.env.client, rectificationId)).toBeGreaterThan(1);
  const actions: string[] = late.events.map((e: { action: string }) => e.action);
  const count = (a: string) => actions.filter((x) => x === a).length;
  expect(count('ISSUED')).toBe(1);
  expect(count('PHASE_OPENED')).toBe(def.rectification.phases.length);
  expect(count('PHASE_CLOSED')).toBe(def.rectification.phases.length);
  expect(count('ITEM_OVERDUE')).toBe(1);
  expect(late.events.filter((e: { action: string }) => e.action === 'PHASE_MISSED').map((e: { data: { phase: string } }) => e.data.phase)).toEqual(['report', 'completion']);
  const seqs = late.events.map((e: { seq: number }) => e.seq);
  expect(seqs).toEqual(seqs.map((_: number, i: number) => i + 1));
  expect(late.items.map((i: { seq: number; overdue: boolean }) => [i.seq, i.overdue])).toEqual([
    [1, true],
    [2, false],
  ]);
  expect(await s.db.notification.count({ where: { procedureId: rectificationId, recipientId: county.people.LEADER, title: { contains: '整改逾期督办' } } })).toBe(2);

  // the county catches up in the latest run: item 1 closed and confirmed — every item is done, so
  // the rectification is (its missed report stays on the record)
  const evidence = [{ name: '资金拨付凭证.pdf', uri: 'https://docs.example.gov.cn/funds.pdf' }];
  expect((await s.as(county.tokens.STAFF).post(`/rectifications/${rectificationId}/items/1/close`, { note: '资金已拨付', attachments: evidence })).status).toBe(200);
  expect((await s.as(county.tokens.DEPUTY).post(`/rectifications/${rectificationId}/items/1/confirm`, { note: '确认整改到位' })).status).toBe(200);
  const result = await s.env.client.workflow.getHandle(rectificationId).result();
  expect(result).toMatchObject({ status: 'COMPLETED', phase: 'done' });
  expect(handle.workflowId).toBe(rectificationId);
});
