/**
 * One write per decision (PATCHES.oneWritePerDecision; issue 9): a start, a sign-off that opens the
 * next stage and an escalation each cost the case one projection activity — the task, reminder and
 * escalation notifications go out in the projection's own transaction (the outbox), not in a
 * `notify` activity of their own — and a decision is answered once that one write has landed.
 * Household exit, national definition (000 篇三 第四十条). Time-skipping server.
 */
import { temporal } from '@temporalio/proto';
import { startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'one', townships: 1, villagesPerTownship: 1, householdsPerVillage: 2 });
});
afterAll(async () => s?.stop());

type Event = temporal.api.history.v1.IHistoryEvent;
const { EventType: Type } = temporal.api.enums.v1;
const EventType = {
  activityScheduled: Type.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
  updateAccepted: Type.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  updateCompleted: Type.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
} as const;

/** The activity types scheduled between two events of the history (by index). */
const scheduledBetween = (events: Event[], from: number, to: number) =>
  events.slice(from, to).filter((e) => e.eventType === EventType.activityScheduled).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);

test('a start and a sign-off each cost one projection, the task notifications inside it; the answer comes after it', async () => {
  const village = s.tree.villages[0];
  const household = s.tree.households[0];
  const started = await s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 });
  expect(started.status).toBe(201);
  const caseId: string = started.body.caseId;
  const signed = await s.as(village.tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: 'village_appraisal', decision: 'approve' });
  expect(signed.status).toBe(200);
  expect(signed.body.stage.key).toBe('village_verification');

  const events = (await s.env.client.workflow.getHandle(started.body.workflowId).fetchHistory()).events ?? [];
  const accepted = events.map((e, i) => (e.eventType === EventType.updateAccepted ? i : -1)).filter((i) => i >= 0);
  const completed = events.map((e, i) => (e.eventType === EventType.updateCompleted ? i : -1)).filter((i) => i >= 0);
  // the start: one projection before the `opened` update is answered (the case, its first stage and its task)
  expect(scheduledBetween(events, 0, completed[0])).toEqual(['projectJournal']);
  // the sign-off: one projection (the approval, the next stage, its task) between acceptance and answer
  expect(scheduledBetween(events, accepted[1], completed[1])).toEqual(['projectJournal']);
  expect(events.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'notify')).toBe(false);

  // the tasks reached the village's people, and the audit entries name them
  const tasks = await s.db.caseEvent.findMany({ where: { caseType: 'procedure', caseId, action: 'TASK_ASSIGNED' }, orderBy: { seq: 'asc' } });
  expect(tasks.map((t) => t.stageKey)).toEqual(['village_appraisal', 'village_verification']);
  const people = await s.db.person.findMany({ where: { orgUnitId: village.id, role: { in: ['STAFF', 'DEPUTY', 'LEADER'] } }, orderBy: { id: 'asc' } });
  for (const task of tasks) {
    const recipients = (task.data as { recipients: Array<{ id: string }> }).recipients.map((r) => r.id);
    expect(recipients).toEqual(people.map((p) => p.id));
  }
  const notifications = await s.db.notification.findMany({ where: { procedureId: caseId, kind: 'TASK' } });
  expect(notifications).toHaveLength(2 * people.length);
});

test('an overdue stage escalates with one projection per rung, the escalation notifications inside it', async () => {
  const village = s.tree.villages[0];
  const household = s.tree.households[1];
  const started = await s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 });
  expect(started.status).toBe(201);
  const caseId: string = started.body.caseId;
  await s.env.sleep('40 days'); // village appraisal: 10 days, then the ladder climbs

  const escalated = await s.db.caseEvent.findMany({ where: { caseType: 'procedure', caseId, action: 'ESCALATED' }, orderBy: { seq: 'asc' } });
  expect(escalated.length).toBeGreaterThan(0);
  for (const e of escalated) expect((e.data as { recipients: unknown[] }).recipients.length).toBeGreaterThan(0);
  const sent = await s.db.notification.count({ where: { procedureId: caseId, kind: 'ESCALATION' } });
  expect(sent).toBe(escalated.reduce((n, e) => n + (e.data as { recipients: unknown[] }).recipients.length, 0));

  const events = (await s.env.client.workflow.getHandle(started.body.workflowId).fetchHistory()).events ?? [];
  const activities = events.filter((e) => e.eventType === EventType.activityScheduled).map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name);
  expect(activities.filter((a) => a !== 'projectJournal')).toEqual([]);
  // the opening, then one write per reminder and per rung
  const reminders = await s.db.caseEvent.count({ where: { caseType: 'procedure', caseId, action: 'REMINDED' } });
  expect(activities).toHaveLength(1 + reminders + escalated.length);
});
