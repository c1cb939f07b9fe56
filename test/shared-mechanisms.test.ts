/**
 * The mechanisms every kind of case shares (workflows/shared/), as pure functions and plain
 * objects: the journal's projection watermark, the ladder's checkpoints and recipients, and the
 * definitions' ladders. Milliseconds, no server.
 */
import { Journal, type JournalEntry } from '../workflows/shared/journal';
import { EscalationPolicy, checkpointsOf, isFired, oneRung, rungUnits } from '../workflows/shared/ladder';
import { DAY_MS, endOfChinaDate, periodOf } from '../lib/dates';
import { dutiesOf, dutyLadder } from '../workflows/duty/contract';
import { AssessmentDefinition, DEFAULT_LADDERS } from '../workflows/assessment/definition';
import { loadAssessmentDefinition } from '../definitions';

const T0 = Date.UTC(2026, 0, 5, 2); // 2026-01-05 10:00 China time

describe('journal', () => {
  type Write = { entries: number[]; stateSeq: number };
  const recorder = () => {
    const writes: Write[] = [];
    const write = async (entries: JournalEntry[], stateSeq: number) => void writes.push({ entries: entries.map((e) => e.seq), stateSeq });
    return { writes, write };
  };

  test('numbers entries from 1 and projects each entry once when nothing fails', async () => {
    const j = new Journal({ resendUnconfirmed: true });
    const r = recorder();
    j.record({ action: 'STARTED' });
    j.record({ action: 'STAGE_ENTERED' });
    await j.project(r.write);
    await j.project(r.write); // nothing new: no write
    j.record({ action: 'APPROVED' });
    await j.project(r.write);
    expect(r.writes).toEqual([
      { entries: [1, 2], stateSeq: 2 },
      { entries: [3], stateSeq: 3 },
    ]);
    expect(j.confirmed).toBe(3);
  });

  /** A journal with entry 1 in a projection that has not completed, and a second call made. */
  async function withStalledProjection(resendUnconfirmed: boolean) {
    const j = new Journal({ resendUnconfirmed });
    const writes: number[][] = [];
    let release!: () => void;
    j.record({ action: 'STARTED' });
    const stuck = j.project(async (entries) => {
      writes.push(entries.map((e) => e.seq));
      await new Promise<void>((r) => (release = r));
    });
    expect(j.inFlight).toBe(1);
    if (resendUnconfirmed) j.record({ action: 'APPROVED' });
    await j.project(async (entries) => void writes.push(entries.map((e) => e.seq)));
    return { j, writes, finish: () => (release(), stuck) };
  }

  test('a projection that has not completed is sent again with the next (resendUnconfirmed)', async () => {
    const { j, writes, finish } = await withStalledProjection(true);
    // the second write carries entry 1 again: no gap if the first one never lands
    expect(writes).toEqual([[1], [1, 2]]);
    expect(j.confirmed).toBe(2);
    await finish();
    expect(j.confirmed).toBe(2); // a late completion never moves the watermark back
    expect(j.inFlight).toBe(0);
  });

  test('without resendUnconfirmed, a call with nothing new waits for nothing', async () => {
    const { writes, finish } = await withStalledProjection(false);
    expect(writes).toEqual([[1]]);
    await finish();
  });

  test('a failed projection leaves its entries unconfirmed for the next one', async () => {
    const j = new Journal({ resendUnconfirmed: true });
    j.record({ action: 'STARTED' });
    await expect(j.project(() => Promise.reject(new Error('database down')))).rejects.toThrow('database down');
    expect(j.confirmed).toBe(0);
    expect(j.inFlight).toBe(0);
    const r = recorder();
    await j.project(r.write);
    expect(r.writes).toEqual([{ entries: [1], stateSeq: 1 }]);
  });

  test('a projection carries the parts changed since the last confirmed one, again if it failed', async () => {
    const j = new Journal({ resendUnconfirmed: false });
    const sent: string[][] = [];
    const parts = ['unit:a', 'unit:b', 'unit:c'];
    const write = async (_e: JournalEntry[], _s: number, changed: (part: string) => boolean) => void sent.push(parts.filter(changed));
    j.touch(...parts);
    j.record({ action: 'STARTED' });
    await j.project(write);
    j.touch('unit:b');
    j.record({ action: 'EVALUATION_ENTERED' });
    await expect(j.project(() => Promise.reject(new Error('database down')))).rejects.toThrow();
    j.record({ action: 'NOTHING_CHANGED_IN_UNITS' });
    await j.project(write); // unit b again: the failed projection never confirmed it
    j.record({ action: 'STEP_OPENED' });
    await j.project(write);
    expect(sent).toEqual([['unit:a', 'unit:b', 'unit:c'], ['unit:b'], []]);
  });

  test('a continued run carries its newest entries and goes on numbering after them', async () => {
    const j = new Journal({ resendUnconfirmed: true });
    for (let i = 0; i < 80; i++) j.record({ action: 'REMINDED' });
    await j.project(async () => undefined);
    const carry = j.carry(50);
    expect(carry.entries.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 31 + i));
    const next = new Journal({ resendUnconfirmed: true }, carry);
    expect(next.seq).toBe(80);
    expect(next.record({ action: 'APPROVED' }).seq).toBe(81);
    const r = recorder();
    await next.project(r.write);
    expect(r.writes).toEqual([{ entries: [81], stateSeq: 81 }]);
  });
});

describe('ladder', () => {
  const policy = EscalationPolicy.parse({
    remindBefore: [{ days: 1 }, { days: 3 }],
    grace: { days: 2 },
    ladder: [
      { label: '分管负责人', unit: 'responsible', roles: ['DEPUTY'] },
      { label: '主要负责人', unit: 'responsible', roles: ['LEADER'] },
      { label: '上级领导小组', unit: 'parent', roles: ['LEADER'], after: { days: 10 } },
    ],
  });

  test('reminders come before the due time in time order, rungs after it by grace or their own delay', () => {
    const due = T0 + 7 * DAY_MS;
    expect(checkpointsOf(policy, { enteredAt: T0, dueAt: due })).toEqual([
      { at: due - 3 * DAY_MS, kind: 'reminder', n: 1 },
      { at: due - DAY_MS, kind: 'reminder', n: 2 },
      { at: due, kind: 'rung', n: 1 },
      { at: due + 2 * DAY_MS, kind: 'rung', n: 2 },
      { at: due + 10 * DAY_MS, kind: 'rung', n: 3 },
    ]);
  });

  test('a reminder that would fall before the stage opened is dropped; rungs never are', () => {
    const due = T0 + 2 * DAY_MS;
    const cps = checkpointsOf(policy, { enteredAt: T0, dueAt: due });
    expect(cps.filter((c) => c.kind === 'reminder')).toEqual([{ at: due - DAY_MS, kind: 'reminder', n: 1 }]);
    expect(cps.filter((c) => c.kind === 'rung')).toHaveLength(3);
    // past due on entry (a case continued late): every rung is still there to fire
    expect(checkpointsOf(policy, { enteredAt: due + 5 * DAY_MS, dueAt: due }).map((c) => c.kind)).toEqual(['rung', 'rung', 'rung']);
  });

  test('progress says which checkpoints have fired', () => {
    const progress = { remindersSent: 1, escalationLevel: 2 };
    expect(isFired({ at: 0, kind: 'reminder', n: 1 }, progress)).toBe(true);
    expect(isFired({ at: 0, kind: 'reminder', n: 2 }, progress)).toBe(false);
    expect(isFired({ at: 0, kind: 'rung', n: 2 }, progress)).toBe(true);
    expect(isFired({ at: 0, kind: 'rung', n: 3 }, progress)).toBe(false);
  });

  test('a rung tells the responsible units, the unit above, or both', () => {
    const rung = (unit: 'responsible' | 'parent' | 'responsible_and_parent') => oneRung('x', ['LEADER'], unit).ladder[0];
    expect(rungUnits(rung('responsible'), { responsible: ['v1', 'v2'], above: 't1' })).toEqual({ orgUnitIds: ['v1', 'v2'] });
    expect(rungUnits(rung('parent'), { responsible: ['v1'], above: 't1' })).toEqual({ orgUnitIds: ['t1'] });
    expect(rungUnits(rung('responsible_and_parent'), { responsible: ['v1'], above: 't1' })).toEqual({ orgUnitIds: ['v1', 't1'] });
    // the parent left to the notify activity to resolve
    expect(rungUnits(rung('parent'), { responsible: ['c1'], parentOf: 'c1' })).toEqual({ orgUnitIds: [], parentOf: 'c1' });
    expect(rungUnits(rung('responsible_and_parent'), { responsible: ['c1'], parentOf: 'c1' })).toEqual({ orgUnitIds: ['c1'], parentOf: 'c1' });
  });

  test('004 art. 19: a deputy is reminded, then the main leader is told; a main leader answers to the level above', () => {
    const deputy = dutyLadder('DEPUTY', 15);
    expect(deputy.remindBefore).toEqual([{ days: 15, calendar: 'natural' }]);
    expect(deputy.ladder).toEqual([{ label: '本单位主要负责人', unit: 'responsible', roles: ['LEADER'] }]);
    expect(dutyLadder('LEADER', 30).ladder[0]).toMatchObject({ unit: 'parent', roles: ['LEADER', 'DEPUTY'] });
    // every duty handed out carries its ladder as data, and each one is a valid policy
    for (const d of [...dutiesOf('DEPUTY', 'COUNTY'), ...dutiesOf('LEADER', 'TOWNSHIP')]) {
      expect(EscalationPolicy.safeParse(d.escalation).success).toBe(true);
    }
  });

  test('the shipped assessment carries its ladders as data, equal to the defaults older runs fall back to', () => {
    const def = AssessmentDefinition.parse(loadAssessmentDefinition('national'));
    expect(def.stepEscalation).toEqual(DEFAULT_LADDERS.step);
    expect(def.finishByEscalation).toEqual(DEFAULT_LADDERS.finishBy);
    expect(def.rectification.escalation).toEqual(DEFAULT_LADDERS.rectification);
    // 003 篇二 第六条: the end of February is answered for one level up too
    expect(def.finishByEscalation?.ladder[0].unit).toBe('responsible_and_parent');
  });
});

describe('China time', () => {
  test('quarters and years turn at midnight China time (16:00 UTC the day before)', () => {
    const q = periodOf(Date.UTC(2026, 2, 31, 15, 59), 'quarter'); // 2026-03-31 23:59 China
    expect(new Date(q.start).toISOString()).toBe('2025-12-31T16:00:00.000Z');
    expect(new Date(q.end).toISOString()).toBe('2026-03-31T16:00:00.000Z');
    const next = periodOf(Date.UTC(2026, 2, 31, 16, 0), 'quarter'); // 2026-04-01 00:00 China
    expect(new Date(next.start).toISOString()).toBe('2026-03-31T16:00:00.000Z');
    const y = periodOf(Date.UTC(2026, 11, 31, 16, 30), 'year'); // 2027-01-01 00:30 China
    expect(new Date(y.start).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(endOfChinaDate('2026-05-01').toISOString()).toBe('2026-05-01T16:00:00.000Z');
  });
});
