/**
 * The escalation ladder, one for every kind of case: reminders before a deadline, then rungs after
 * it, each telling a unit's people (the responsible unit, or the unit one level up) that something
 * is late. A ladder is data (`EscalationPolicy`, part of every definition); `checkpointsOf` turns
 * it into instants (pure: unit-tested without a server) and `runLadder` waits for them durably,
 * stopping as soon as the thing waited for is settled.
 *
 * Used by the procedure engine (every sign-off stage), the assessment (each step and the
 * end-of-February watchdog), rectification (phases and items) and duties (a period's shortfall).
 */
import * as wf from '@temporalio/workflow';
import { z } from 'zod';
import { Role } from '../../lib/org';
import { DAY_MS } from '../../lib/dates';

/** A length of time in natural days (exact multiples of 24 h from the start): whole days only. */
export const NaturalDuration = z
  .object({
    days: z.number().int('a whole number of days').positive().max(3650),
    calendar: z.literal('natural').default('natural'),
  })
  .strict();
export type NaturalDuration = z.infer<typeof NaturalDuration>;

/** Adds natural days to an instant. Pure and deterministic: safe in workflow code. */
export function addDuration(fromMs: number, duration: { days: number }): number {
  return fromMs + Math.round(duration.days * DAY_MS);
}

/** Who is notified on one rung of the escalation ladder. */
export const EscalationRung = z
  .object({
    /** Chinese label shown to people, e.g. 分管负责人 */
    label: z.string().min(1).max(60),
    /**
     * the responsible unit, the unit one level up (its leading group), or both (a deadline the
     * level above answers for too, such as the end of the assessment calendar)
     */
    unit: z.enum(['responsible', 'parent', 'responsible_and_parent']),
    roles: z.array(Role).min(1),
    /** time after the due time at which this rung fires (default: `grace` times its index) */
    after: NaturalDuration.optional(),
  })
  .strict();
export type EscalationRung = z.infer<typeof EscalationRung>;

export const EscalationPolicy = z
  .object({
    /** reminders to the responsible unit before the due time */
    remindBefore: z.array(NaturalDuration).max(5).default([]),
    /** time between consecutive rungs when a rung does not give its own `after` */
    grace: NaturalDuration,
    ladder: z.array(EscalationRung).min(1).max(6),
  })
  .strict();
export type EscalationPolicy = z.infer<typeof EscalationPolicy>;

/** A ladder of one rung at the due time: the responsible unit's `roles` are told, once. */
export function oneRung(label: string, roles: Role[], unit: EscalationRung['unit'] = 'responsible'): EscalationPolicy {
  return { remindBefore: [], grace: { days: 1, calendar: 'natural' }, ladder: [{ label, unit, roles }] };
}

/** One instant of a ladder: the n-th reminder before the due time, or the n-th rung after it. */
export type Checkpoint = { at: number; kind: 'reminder' | 'rung'; n: number };

/**
 * The reminders and rungs of a ladder for a deadline, in time order. Reminders that would fall
 * before the window opened are dropped (a stage entered three days before its due time gets no
 * seven-day reminder); rungs always fire.
 */
export function checkpointsOf(policy: EscalationPolicy, window: { enteredAt: number; dueAt: number }): Checkpoint[] {
  const reminders = [...policy.remindBefore]
    .map((d) => window.dueAt - Math.round(d.days * DAY_MS))
    .filter((at) => at > window.enteredAt)
    .sort((a, b) => a - b)
    .map((at, n): Checkpoint => ({ at, kind: 'reminder', n: n + 1 }));
  const rungs = policy.ladder.map(
    (rung, n): Checkpoint => ({
      at: rung.after ? addDuration(window.dueAt, rung.after) : addDuration(window.dueAt, { days: policy.grace.days * n }),
      kind: 'rung',
      n: n + 1,
    }),
  );
  return [...reminders, ...rungs];
}

/** How far a ladder got: carried in the case's state, so a continued run fires nothing twice. */
export interface LadderProgress {
  remindersSent: number;
  escalationLevel: number;
}

export const isFired = (cp: Checkpoint, progress: LadderProgress): boolean =>
  cp.kind === 'reminder' ? cp.n <= progress.remindersSent : cp.n <= progress.escalationLevel;

/**
 * The one runner of deadlines: waits for the next checkpoint and fires it, until there is nothing
 * left to wait for. Two ways a wait ends early:
 * - `settled` (a ladder): the thing waited for is done — the runner returns true;
 * - `version` (a schedule of many deadlines, such as a rectification's phases and items): a
 *   decision changed what is due — `onChange` runs and the next checkpoint is taken again.
 * `next` names the earliest checkpoint not yet fired; `fire` must make it no longer next.
 * `stopWhen` ends a schedule; `idle` waits when nothing is due yet (without it the runner returns
 * false once every checkpoint has fired). `minimumWaitMs` keeps the timer of runs recorded when a
 * past checkpoint still waited 1 ms.
 */
export async function runCheckpoints<C extends { at: number }>(
  options: {
    next: () => C | undefined;
    fire: (checkpoint: C) => Promise<void>;
    stopWhen?: () => boolean;
    idle?: () => Promise<void>;
    minimumWaitMs?: number;
  } & ({ settled: () => boolean } | { version: () => number; onChange: () => Promise<void> }),
): Promise<boolean> {
  for (;;) {
    const next = options.next();
    if (options.stopWhen?.()) return true;
    if (!next) {
      if (!options.idle) return false;
      await options.idle();
      continue;
    }
    const seen = 'version' in options ? options.version() : 0;
    const interrupted = 'version' in options ? () => options.version() !== seen : options.settled;
    const wait = Math.max(next.at - Date.now(), options.minimumWaitMs ?? 0);
    if (wait > 0 && (await wf.condition(interrupted, wait))) {
      if ('settled' in options) return true;
      await options.onChange();
      continue;
    }
    if ('settled' in options && options.settled()) return true;
    await options.fire(next);
  }
}

/**
 * Climbs a ladder: each checkpoint not yet fired (by `progress`, carried across continue-as-new)
 * is waited for and fired, unless `settled` turns true first. Returns true when settled, false when
 * every checkpoint has fired. `fire` records its progress.
 */
export async function runLadder(options: {
  checkpoints: Checkpoint[];
  progress: LadderProgress;
  settled: () => boolean;
  fire: (cp: Checkpoint) => Promise<void>;
  minimumWaitMs?: number;
}): Promise<boolean> {
  const { checkpoints, progress, settled, fire, minimumWaitMs } = options;
  let i = 0;
  return runCheckpoints({
    next: () => {
      while (i < checkpoints.length && isFired(checkpoints[i], progress)) i++;
      return checkpoints[i];
    },
    fire: async (cp) => {
      i++;
      await fire(cp);
    },
    settled,
    minimumWaitMs,
  });
}

/**
 * The units a rung tells: `responsible` are the units that must act; `above` is the unit one level
 * up (for a parallel group, the unit its departments belong to). The notify activity can also
 * resolve the parent itself (`parentOf`), for callers that do not know it.
 */
export function rungUnits(
  rung: EscalationRung,
  units: { responsible: string[]; above?: string; parentOf?: string },
): { orgUnitIds: string[]; parentOf?: string } {
  const parent = units.above ? { orgUnitIds: [units.above] } : { orgUnitIds: [], parentOf: units.parentOf };
  switch (rung.unit) {
    case 'responsible':
      return { orgUnitIds: units.responsible };
    case 'parent':
      return parent;
    case 'responsible_and_parent':
      return { orgUnitIds: [...units.responsible, ...parent.orgUnitIds], ...(parent.parentOf ? { parentOf: parent.parentOf } : {}) };
  }
}
