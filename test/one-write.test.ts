/**
 * One write per decision (PATCHES.oneWritePerDecision; issue 9): a start, a sign-off that opens the
 * next stage and an escalation each cost the case one projection — the task, reminder and
 * escalation notifications go out in the projection's own transaction (the outbox), not in a
 * `notify` activity of their own — and a decision is answered once that one write has landed.
 * The projection is a local activity (LOCAL_PROJECTION): it is in the history as a marker, inside
 * the workflow task that handled the decision, and no activity task is scheduled at all.
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
  markerRecorded: Type.EVENT_TYPE_MARKER_RECORDED,
  workflowTaskCompleted: Type.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
  updateAccepted: Type.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
  updateCompleted: Type.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
} as const;

/** The activity type a local activity's marker records (the SDK core's marker, its details as JSON). */
function localActivityType(e: Event): string | undefined {
  const attrs = e.markerRecordedEventAttributes;
  if (e.eventType !== EventType.markerRecorded || attrs?.markerName !== 'core_local_activity') return undefined;
  const data = attrs.details?.data?.payloads?.[0]?.data;
  return data ? (JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type : undefined;
}

/** The activities, local ones included (`local:` before their type), run between two events of the history (by index). */
const ranBetween = (events: Event[], from: number, to: number) =>
  events.slice(from, to).flatMap((e) => {
    if (e.eventType === EventType.activityScheduled) return [e.activityTaskScheduledEventAttributes?.activityType?.name];
    const local = localActivityType(e);
    return local ? [`local:${local}`] : [];
  });

/** How many workflow tasks completed between two events of the history (by index). */
const workflowTasksBetween = (events: Event[], from: number, to: number) => events.slice(from, to).filter((e) => e.eventType === EventType.workflowTaskCompleted).length;

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
  expect(ranBetween(events, 0, completed[0])).toEqual(['local:projectJournal']);
  // the sign-off: one projection (the approval, the next stage, its task) between acceptance and answer
  expect(ranBetween(events, accepted[1], completed[1])).toEqual(['local:projectJournal']);
  // ... all inside the workflow task that took the decision: accepted, written and answered at once
  const taskOf = (i: number) => workflowTasksBetween(events, 0, i);
  expect(taskOf(completed[0])).toBe(taskOf(accepted[0]));
  expect(taskOf(completed[1])).toBe(taskOf(accepted[1]));
  expect(events.some((e) => e.eventType === EventType.activityScheduled)).toBe(false);

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
  const activities = ranBetween(events, 0, events.length);
  expect(activities.filter((a) => a !== 'local:projectJournal')).toEqual([]);
  // the opening, then one write per reminder and per rung
  const reminders = await s.db.caseEvent.count({ where: { caseType: 'procedure', caseId, action: 'REMINDED' } });
  expect(activities).toHaveLength(1 + reminders + escalated.length);
});
