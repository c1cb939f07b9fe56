/**
 * Household exit (贫困户退出) driven through the HTTP API from village appraisal to registry
 * marking, on the time-skipping test server (notice periods are skipped, not waited).
 * Steps and their basis: national 2016 exit rule; 000 篇三 第四十条, 第四十二条; 000 篇五 第十三条.
 */
import { BATCH_MAX_HOUSEHOLDS, batchWorkflowId } from '../workflows/batch/contract';
import { eventually, recordHistory, startStack, type Stack } from './helpers/stack';

let s: Stack;
beforeAll(async () => {
  s = await startStack('time-skipping', { tag: 'he', townships: 1, villagesPerTownship: 2, householdsPerVillage: 3 });
});
afterAll(async () => s?.stop());

const attachment = { name: '民主评议会议记录.pdf', uri: 'https://docs.example.gov.cn/minutes/2026-001.pdf' };

describe('household exit through the API', () => {
  test('given a poor household, when every stage is signed, then it is announced and marked in the registry', async () => {
    const village = s.tree.villages[0];
    const township = s.tree.townships[0];
    const county = s.tree.county;
    const household = s.tree.households.find((h) => h.villageId === village.id)!;

    const started = await s.as(village.tokens.STAFF).post('/procedures/household-exit', { householdId: household.id, year: 2026 });
    expect(started.status).toBe(201);
    const caseId: string = started.body.caseId;
    expect(started.body.case.stage.key).toBe('village_appraisal');

    const sign = (token: string, stageKey: string, extra: object = {}) =>
      s.as(token).post(`/procedures/${caseId}/sign-off`, { stageKey, decision: 'approve', ...extra });

    expect((await sign(village.tokens.STAFF, 'village_appraisal', { comment: '村民代表会议评议通过', attachments: [attachment] })).status).toBe(200);
    const verified = await sign(village.tokens.DEPUTY, 'village_verification', { confirmations: ['household_acknowledged'] });
    expect(verified.status).toBe(200);
    expect(verified.body.stage.key).toBe('village_notice');

    await s.env.sleep('8 days'); // 村内公示 7 natural days
    const atTownship = await s.as(township.tokens.STAFF).get(`/procedures/${caseId}`);
    expect(atTownship.body.currentStageKey).toBe('township_verification');

    expect((await sign(township.tokens.STAFF, 'township_verification')).status).toBe(200);
    await s.env.sleep('8 days'); // 乡镇公示
    expect((await sign(county.tokens.DEPUTY, 'county_approval', { comment: '县级查验合格，批准退出' })).status).toBe(200);
    const announced = await sign(county.tokens.STAFF, 'announcement');
    expect(announced.status).toBe(200);

    const done = await s.env.client.workflow.getHandle(`household-exit:${household.id}:2026`).result();
    expect(done.status).toBe('COMPLETED');

    const view = await s.as(county.tokens.LEADER).get(`/procedures/${caseId}`);
    expect(view.status).toBe(200);
    expect(view.body.status).toBe('COMPLETED');
    const trail = view.body.history
      .filter((h: { action: string }) => h.action !== 'TASK_ASSIGNED') // announced asynchronously, checked below
      .map((h: { action: string; stageKey: string }) => `${h.action}:${h.stageKey}`);
    expect(trail).toEqual([
      'STARTED:village_appraisal',
      'STAGE_ENTERED:village_appraisal',
      'APPROVED:village_appraisal',
      'STAGE_ENTERED:village_verification',
      'APPROVED:village_verification',
      'STAGE_ENTERED:village_notice',
      'NOTICE_PASSED:village_notice',
      'STAGE_ENTERED:township_verification',
      'APPROVED:township_verification',
      'STAGE_ENTERED:township_notice',
      'NOTICE_PASSED:township_notice',
      'STAGE_ENTERED:county_approval',
      'APPROVED:county_approval',
      'STAGE_ENTERED:announcement',
      'APPROVED:announcement',
      'STAGE_ENTERED:registry_marking',
      'AUTOMATIC_DONE:registry_marking',
      'COMPLETED:registry_marking',
    ]);
    // every sign-off stage told its unit of the new task (patch notify-on-stage-entry)
    const tasked = view.body.history.filter((h: { action: string }) => h.action === 'TASK_ASSIGNED').map((h: { stageKey: string }) => h.stageKey);
    expect(tasked).toEqual(['village_appraisal', 'village_verification', 'township_verification', 'county_approval', 'announcement']);
    const tasks = await s.db.notification.count({ where: { procedureId: caseId, kind: 'TASK', recipientId: county.people.DEPUTY } });
    expect(tasks).toBe(2); // county approval and announcement
    expect(view.body.history.map((h: { seq: number }) => h.seq)).toEqual(view.body.history.map((_: unknown, i: number) => i + 1));
    const appraisal = view.body.history.find((h: { action: string }) => h.action === 'APPROVED');
    expect(appraisal).toMatchObject({ actorId: village.people.STAFF, actorOrgUnitId: village.id, actorRole: 'STAFF', comment: '村民代表会议评议通过' });
    expect(appraisal.attachments).toEqual([attachment]);
    expect(view.body.notices.map((n: { stageKey: string; status: string }) => `${n.stageKey}:${n.status}`)).toEqual([
      'village_notice:PASSED',
      'township_notice:PASSED',
    ]);

    const row = await s.db.household.findUniqueOrThrow({ where: { id: household.id } });
    expect(row.status).toBe('EXITED');
    expect(row.exitYear).toBe(2026);
    expect(row.registryMarkedAt).not.toBeNull();
    expect(row.registryMarkedBy).toBe(caseId);

    const description = await s.env.client.workflow.getHandle(`household-exit:${household.id}:2026`).describe();
    expect(description.typedSearchAttributes.get({ name: 'ProcedureType', type: 'KEYWORD' } as never)).toBe('household-exit');
    await recordHistory(s.env, `household-exit:${household.id}:2026`, 'household-exit-national-v1-complete');
  });

  test('given a village list, when started in bulk, then one batch opens a case for every poor household and a repeat opens none', async () => {
    const village = s.tree.villages[1];
    const households = s.tree.households.filter((h) => h.villageId === village.id);
    /** a bulk start: 202 at once with the batch, then its progress until it has answered every household */
    const bulk = async (token: string, body: object, idempotencyKey?: string) => {
      const agent = s.as(token);
      const accepted = await agent.post('/procedures/household-exit/bulk', body, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : undefined);
      expect(accepted.status).toBe(202);
      expect(accepted.body).toMatchObject({ villageId: village.id, year: 2026, status: 'RUNNING', progress: `/procedures/batches/${accepted.body.batchId}` });
      // (a repeat with the same Idempotency-Key replays the stored body, without headers)
      if (!accepted.headers['idempotent-replayed']) expect(accepted.headers.location).toBe(accepted.body.progress);
      const progress = await eventually(async () => {
        const read = await agent.get(accepted.body.progress);
        expect(read.status).toBe(200);
        expect(read.body.done).toBeLessThanOrEqual(read.body.total);
        return read.body.status === 'COMPLETED' && read.body;
      });
      return { accepted: accepted.body, progress };
    };
    const first = await bulk(s.tree.townships[0].tokens.STAFF, { villageId: village.id, year: 2026 }, 'bulk-first');
    expect(first.accepted.total).toBe(households.length);
    expect(first.progress).toMatchObject({ total: households.length, done: households.length, started: households.length, alreadyOpen: 0, notEligible: 0 });
    // every case is its own procedure, open and projected like a single start
    const started = first.progress.results as Array<{ householdId: string; outcome: string; caseId: string; workflowId: string }>;
    expect(started.map((r) => r.householdId).sort()).toEqual(households.map((h) => h.id).sort());
    for (const r of started) expect(r.workflowId).toBe(`household-exit:${r.householdId}:2026`);
    const inbox = async () => (await s.as(village.tokens.STAFF).get('/inbox')).body.items as Array<{ stageKey: string; caseId: string }>;
    await eventually(async () => (await inbox()).length === households.length);
    expect((await inbox()).map((i) => i.stageKey)).toEqual(households.map(() => 'village_appraisal'));
    expect((await inbox()).map((i) => i.caseId).sort()).toEqual(started.map((r) => r.caseId).sort());
    await recordHistory(s.env, batchWorkflowId(first.accepted.batchId), 'household-exit-batch-national-v1');
    // the same request again (same caller, same key): the same batch, nothing opened twice
    const repeated = await bulk(s.tree.townships[0].tokens.STAFF, { villageId: village.id, year: 2026 }, 'bulk-first');
    expect(repeated.accepted.batchId).toBe(first.accepted.batchId);
    // the households are EXITING now, so only an explicit list reaches them
    const again = await bulk(village.tokens.STAFF, { villageId: village.id, year: 2026 });
    expect(again.progress).toMatchObject({ total: 0, started: 0, results: [] });
    const explicit = await bulk(village.tokens.STAFF, { villageId: village.id, year: 2026, householdIds: households.map((h) => h.id) });
    expect(explicit.progress).toMatchObject({ started: 0, alreadyOpen: households.length });
    // another village's leader sees neither the start nor the batch
    expect((await s.as(s.tree.villages[0].tokens.LEADER).get(`/procedures/batches/${first.accepted.batchId}`)).status).toBe(403);
    expect((await s.as(village.tokens.STAFF).get('/procedures/batches/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const outsider = await s.as(s.tree.villages[0].tokens.LEADER).post('/procedures/household-exit/bulk', { villageId: village.id });
    expect(outsider.status).toBe(403);
  });

  test('given a village with more poor households than one batch takes, when started in bulk, then 400 names householdIds and nothing starts', async () => {
    const village = s.tree.villages[0];
    const ids = Array.from({ length: BATCH_MAX_HOUSEHOLDS + 1 }, (_, i) => `${village.id}-many-${i}`);
    await s.db.household.createMany({
      data: ids.map((id) => ({ id, registryNo: id, headName: '户主', villageId: village.id, memberCount: 3, incomePerCapita: 5200, foodClothingSecure: true, compulsoryEducation: true, basicMedical: true, safeHousing: true })),
    });
    try {
      const res = await s.as(village.tokens.STAFF).post('/procedures/household-exit/bulk', { villageId: village.id, year: 2026 });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'BadRequest', details: [{ path: 'householdIds' }] });
      expect(await s.db.procedure.count({ where: { subjectId: { in: ids } } })).toBe(0);
    } finally {
      await s.db.household.deleteMany({ where: { id: { in: ids } } });
    }
  });
});
