/**
 * Drives a case through the HTTP API the way its users would: whoever the current stage waits for
 * signs it (the responsible unit's staff if allowed, else its deputy, else its leader; each
 * unsigned branch of a parallel group by its department), notices are let run out by skipping
 * time on the time-skipping server. Returns the path the case took.
 */
import type { Stack } from './stack';
import type { DemoTree } from '../../lib/demo';
import type { Role } from '../../workflows/procedure/definition';

export interface Step {
  stageKey: string;
  kind: string;
  level: string;
  /** who signed: unit name and role, or the branch's department */
  by?: string;
}

export interface DriveOptions {
  /** figures to enter when a stage asks for them, by stage key */
  figures?: Record<string, Record<string, number>>;
  /** stop before this stage (when the case reaches it) */
  until?: string;
}

const ROLE_ORDER: Role[] = ['STAFF', 'DEPUTY', 'LEADER'];

export async function liveStage(s: Stack, tree: DemoTree, caseId: string) {
  const res = await s.as(tree.province.tokens.LEADER).get(`/procedures/${caseId}`);
  if (res.status !== 200) throw new Error(`GET case: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

export async function drive(s: Stack, tree: DemoTree, caseId: string, opts: DriveOptions = {}): Promise<Step[]> {
  const path: Step[] = [];
  for (let guard = 0; guard < 60; guard++) {
    const body = await liveStage(s, tree, caseId);
    if (body.status !== 'ACTIVE') return path;
    const stage = body.live;
    if (!stage || (stage.kind !== 'check' && stage.kind !== 'automatic' && !stage.dueAt)) {
      // closing, or a working-day deadline still being computed
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    if (opts.until === stage.key) return path;
    const step: Step = { stageKey: stage.key, kind: stage.kind, level: stage.level };
    if (stage.kind === 'signoff') {
      const unit = tree.units.get(stage.responsibleOrgUnitId)!;
      const role = ROLE_ORDER.find((r) => stage.roles.includes(r))!;
      const res = await s.as(unit.tokens[role]).post(`/procedures/${caseId}/sign-off`, {
        stageKey: stage.key,
        decision: 'approve',
        confirmations: ['household_acknowledged'],
        ...(opts.figures?.[stage.key] ? { indicators: opts.figures[stage.key] } : {}),
      });
      if (res.status !== 200) throw new Error(`sign-off of ${stage.key}: ${res.status} ${JSON.stringify(res.body)}`);
      step.by = `${unit.name}/${role}`;
    } else if (stage.kind === 'parallel') {
      const signers: string[] = [];
      for (const branch of stage.branches.filter((b: { signed: boolean }) => !b.signed)) {
        const unit = tree.units.get(branch.orgUnitId)!;
        const res = await s.as(unit.tokens.STAFF).post(`/procedures/${caseId}/sign-off`, { stageKey: stage.key, branchKey: branch.key, decision: 'approve' });
        if (res.status !== 200) throw new Error(`branch ${branch.key}: ${res.status} ${JSON.stringify(res.body)}`);
        signers.push(branch.key);
      }
      step.by = signers.join('+');
    } else if (stage.kind === 'notice') {
      const wait = Date.parse(stage.dueAt) - (await s.env.currentTimeMs());
      await s.env.sleep(Math.max(wait, 0) + 3_600_000);
    } else if (stage.blocked) {
      path.push(step);
      return path; // a failed check: the caller corrects the figures
    } else {
      await new Promise((r) => setTimeout(r, 50)); // check or automatic: the system acts
      continue;
    }
    path.push(step);
  }
  throw new Error('case did not finish');
}
