/**
 * The size of workflow histories: events and bytes (the protobuf encoding Temporal stores and
 * sends), per case.
 *
 *   npx tsx bench/history-size.ts files A.json [B.json …]   recorded histories (test/histories/)
 *   npx tsx bench/history-size.ts assessment 200             a province's assessment of N units,
 *     run through the API on the time-skipping server (DATABASE_URL: a migrated database):
 *     every self-summary signed, every unit evaluated, results, approval, feedback
 *
 * Prints one JSON line per measured history.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { Client, Connection } from '@temporalio/client';
import { chinaYear } from '../lib/dates';
import { eventually, startStack } from '../test/helpers/stack';

type History = temporal.api.history.v1.IHistory;

export function measure(name: string, history: History) {
  const events = history.events ?? [];
  const bytes = temporal.api.history.v1.History.encode(history).finish().length;
  // where the bytes are: the three heaviest event types
  const byType = new Map<string, number>();
  for (const e of events) {
    const type = String(temporal.api.enums.v1.EventType[e.eventType ?? 0]).replace(/^EVENT_TYPE_/, '');
    byType.set(type, (byType.get(type) ?? 0) + temporal.api.history.v1.HistoryEvent.encode(e).finish().length);
  }
  const heaviest = Object.fromEntries([...byType].sort((a, b) => b[1] - a[1]).slice(0, 3));
  return { name, events: events.length, bytes, heaviest };
}

async function historyOf(client: Client, workflowId: string): Promise<History> {
  return client.workflow.getHandle(workflowId).fetchHistory();
}

async function assessment(units: number): Promise<void> {
  const s = await startStack('time-skipping', { tag: 'hsz', counties: units - 1, townships: 1, villagesPerTownship: 1, householdsPerVillage: 1 });
  try {
    const { province, counties, city } = s.tree;
    const assessed = [city, ...counties];
    const year = chinaYear(await s.env.currentTimeMs());
    const started = await s.as(province.tokens.LEADER).post('/assessments', { year });
    if (started.status !== 201) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
    const id: string = started.body.id;
    const stepIs = (step: string) => eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.step === step, 600_000);
    for (const u of assessed) {
      const row = await eventually(() => s.db.procedure.findFirst({ where: { type: 'self-summary', subjectId: u.id, year } }), 600_000);
      const res = await s.as(u.tokens.LEADER).post(`/procedures/${row.id}/sign-off`, {
        stageKey: 'self_summary',
        decision: 'approve',
        comment: `${year}年度脱贫攻坚工作总结`,
        indicators: { poverty_reduction: 1200 },
      });
      if (res.status !== 200) throw new Error(`self-summary of ${u.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await stepIs('third_party_evaluation');
    for (const u of assessed) {
      const res = await s
        .as(province.tokens.STAFF)
        .post(`/assessments/${id}/evaluations`, { unitId: u.id, values: { identification_accuracy: 0.97, satisfaction: 0.93 }, source: '第三方评估机构' });
      if (res.status !== 200) throw new Error(`evaluation of ${u.id}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    await stepIs('comprehensive_evaluation');
    const results = assessed.map((u, n) => ({
      unitId: u.id,
      grade: n % 10 === 0 ? '一般' : '好',
      problems: n % 10 === 0 ? [{ type: 'funds_violation', description: '扶贫资金滞留' }] : [],
    }));
    const graded = await s.as(province.tokens.DEPUTY).post(`/assessments/${id}/results`, { results });
    if (graded.status !== 200) throw new Error(`results: ${graded.status} ${JSON.stringify(graded.body).slice(0, 500)}`);
    await stepIs('approval');
    const approved = await s.as(province.tokens.LEADER).post(`/assessments/${id}/approval`, { decision: 'approve' });
    if (approved.status !== 200) throw new Error(`approval: ${approved.status}`);
    await eventually(async () => (await s.db.assessment.findUnique({ where: { id } }))?.status === 'COMPLETED', 600_000);
    await s.env.client.workflow.getHandle(id).result();

    // a history page may pass gRPC's default 4 MB (the assessment's did, before the lean payloads)
    const connection = await Connection.connect({ address: s.env.address, channelArgs: { 'grpc.max_receive_message_length': 256 * 1024 * 1024 } });
    const client = new Client({ connection, namespace: s.env.namespace ?? 'default' });
    const parent = measure(`assessment of ${assessed.length} units (the assessment workflow)`, await historyOf(client, id));
    let childEvents = 0;
    let childBytes = 0;
    const rows = await s.db.procedure.findMany({ where: { type: 'self-summary', year, subjectId: { in: assessed.map((u) => u.id) } } });
    for (const row of rows) {
      const m = measure(row.workflowId, await historyOf(client, row.workflowId));
      childEvents += m.events;
      childBytes += m.bytes;
    }
    console.log(JSON.stringify(parent));
    console.log(JSON.stringify({ name: `its ${rows.length} self-summary cases, together`, events: childEvents, bytes: childBytes }));
    await connection.close();
  } finally {
    await s.stop();
  }
}

async function main() {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'files') {
    for (const file of args) console.log(JSON.stringify(measure(basename(file), historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))))));
  } else if (mode === 'assessment') {
    await assessment(Number(args[0] ?? 200));
  } else {
    throw new Error('usage: history-size.ts files A.json … | assessment N');
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
