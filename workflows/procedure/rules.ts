/**
 * The rules of a procedure case as plain code: where it stands, who must act, and whether a
 * decision is admissible. No Temporal calls, no clock but `Date.now()` (deterministic inside the
 * workflow), no I/O: the workflow (workflow.ts) is the durable shell that calls them, and
 * test/procedure-rules.test.ts runs them in milliseconds.
 *
 * A refusal throws the ApplicationFailure of `refuse`, typed by FailureType, exactly as the update
 * validators answer it. Rules only ever tighten behind validator-only checks (see
 * validateSignOffFigures): a handler re-checking a decision recorded in an older history must
 * accept what the older code accepted.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, refuse } from '../shared/refuse';
import { Actor, CancelCommand, CaseState, IndicatorsCommand, ObjectionCommand, ProcedureInput, SignOffCommand } from './contract';
import {
  NoticeStage,
  ORG_LEVELS,
  OrgLevel,
  ParallelStage,
  ProcedureDefinition,
  SignoffStage,
  Stage,
  cancellationRuleOf,
  indicatorDeclarations,
  isAtOrAbove,
  levelIn,
  rangeProblem,
} from './definition';

/** A stage someone signs: a sign-off, or a parallel group's branches. */
export type Decidable = SignoffStage | ParallelStage;

export class CaseRules {
  constructor(
    readonly def: ProcedureDefinition,
    readonly input: Pick<ProcedureInput, 'orgPath' | 'departments'>,
    readonly state: CaseState,
  ) {}

  currentStage(): Stage {
    return this.def.stages[this.state.stageIndex];
  }

  indexOf(key: string): number {
    return this.def.stages.findIndex((s) => s.key === key);
  }

  unitAt(level: OrgLevel): string {
    const id = this.input.orgPath[level];
    if (!id) throw ApplicationFailure.nonRetryable(`case has no org unit at level ${level}`, FailureType.InvalidInput);
    return id;
  }

  /** the unit one level up (a province's is the central leading group), or the unit itself at the top */
  parentUnitOf(level: OrgLevel): string {
    const above = ORG_LEVELS[ORG_LEVELS.indexOf(level) - 1];
    return (above && this.input.orgPath[above]) || this.unitAt(level);
  }

  branchUnit(department: string): string {
    const id = this.input.departments?.[department];
    if (!id) throw ApplicationFailure.nonRetryable(`case has no ${department} department unit`, FailureType.InvalidInput);
    return id;
  }

  signedBranches(stage: ParallelStage): string[] {
    return this.state.branchSigned?.[stage.key] ?? [];
  }

  unsignedBranches(stage: ParallelStage) {
    return stage.branches.filter((b) => !this.signedBranches(stage).includes(b.key));
  }

  /** the units that still have to act on a stage */
  pendingUnits(stage: Stage): string[] {
    return stage.kind === 'signoff'
      ? [this.unitAt(stage.level)]
      : stage.kind === 'parallel'
        ? this.unsignedBranches(stage).map((b) => this.branchUnit(b.department))
        : [];
  }

  rolesOf(stage: Stage) {
    return stage.kind === 'signoff' ? stage.roles : stage.kind === 'parallel' ? [...new Set(stage.branches.flatMap((b) => b.roles))] : [];
  }

  durationOf(stage: Stage) {
    return stage.kind === 'signoff' || stage.kind === 'parallel' ? stage.due : stage.kind === 'notice' ? stage.duration : undefined;
  }

  assertActive(): void {
    if (this.state.status !== 'ACTIVE') refuse(FailureType.CaseClosed, `case is ${this.state.status.toLowerCase()}`);
  }

  assertActorInCase(actor: Actor): void {
    if (!Object.values(this.input.orgPath).includes(actor.orgUnitId)) {
      refuse(FailureType.WrongOrgUnit, 'actor does not belong to a unit responsible for this case');
    }
  }

  validateSignOff(cmd: SignOffCommand): Decidable {
    if (!SignOffCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed sign-off');
    this.assertActive();
    const stage = this.currentStage();
    if (cmd.stageKey !== stage.key) {
      const target = this.indexOf(cmd.stageKey);
      if (target < 0) refuse(FailureType.WrongStage, `procedure has no stage "${cmd.stageKey}"`);
      if (target < this.state.stageIndex) refuse(FailureType.AlreadyDecided, `stage "${cmd.stageKey}" is already signed`);
      refuse(FailureType.WrongStage, `case is at stage "${stage.key}", not "${cmd.stageKey}"`);
    }
    if (stage.kind !== 'signoff' && stage.kind !== 'parallel') {
      refuse(FailureType.WrongStage, `stage "${stage.key}" is a ${stage.kind} stage, not a sign-off`);
    }
    let roles = stage.kind === 'signoff' ? stage.roles : [];
    let unit = this.unitAt(stage.level);
    if (stage.kind === 'parallel') {
      const branch = stage.branches.find((b) => b.key === cmd.branchKey);
      if (!branch) refuse(FailureType.InvalidInput, `a branch is required: one of ${stage.branches.map((b) => b.key).join(', ')}`);
      if (this.signedBranches(stage).includes(branch.key)) refuse(FailureType.AlreadyDecided, `branch "${branch.key}" is already signed`);
      roles = branch.roles;
      unit = this.branchUnit(branch.department);
    } else if (cmd.branchKey !== undefined) {
      refuse(FailureType.InvalidInput, `stage "${stage.key}" has no branches`);
    }
    if (cmd.actor.orgUnitId !== unit) refuse(FailureType.WrongOrgUnit, `stage "${stage.key}" must be signed by its responsible unit`);
    if (!roles.includes(cmd.actor.role)) refuse(FailureType.WrongRole, `stage "${stage.key}" must be signed by ${roles.join(' or ')}`);
    if (cmd.decision === 'reject' && !stage.onReject) refuse(FailureType.NotRejectable, `stage "${stage.key}" cannot be rejected`);
    if (cmd.decision === 'approve' && stage.kind === 'signoff') {
      const missing = stage.confirmations.filter((c) => !cmd.confirmations.includes(c.key));
      if (missing.length) {
        refuse(FailureType.MissingConfirmation, `missing confirmations: ${missing.map((c) => `${c.key} (${c.label})`).join(', ')}`);
      }
      // definitions inside older histories predate `indicators`
      const figures = (stage.indicators ?? []).filter((i) => cmd.indicators?.[i.key] === undefined);
      if (figures.length) {
        refuse(FailureType.MissingIndicators, `missing figures: ${figures.map((i) => `${i.key} (${i.label})`).join(', ')}`);
      }
    }
    return stage;
  }

  /**
   * Figures that go with an approval: only those the stage asks for (the projection stores each as
   * the subject's figure), each within its declared range. Validator only: the handler's re-check
   * (validateSignOff) must keep accepting what older versions accepted, so that histories replay.
   */
  validateSignOffFigures(cmd: SignOffCommand): void {
    const stage = this.currentStage();
    if (cmd.decision === 'approve' && cmd.indicators) {
      const asked = stage.kind === 'signoff' ? (stage.indicators ?? []) : [];
      if (Object.keys(cmd.indicators).some((k) => !asked.some((i) => i.key === k))) {
        refuse(FailureType.InvalidInput, asked.length ? `stage "${stage.key}" takes only the figures ${asked.map((i) => i.key).join(', ')}` : `stage "${stage.key}" takes no figures`);
      }
      const declared = indicatorDeclarations(this.def);
      for (const i of asked) {
        const declaration = declared.find((d) => d.key === i.key);
        const problem = declaration && rangeProblem(declaration, cmd.indicators[i.key]);
        if (problem) refuse(FailureType.InvalidInput, problem);
      }
    }
  }

  validateObjection(cmd: ObjectionCommand): NoticeStage {
    if (!ObjectionCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed objection');
    this.assertActive();
    this.assertActorInCase(cmd.actor);
    const stage = this.currentStage();
    if (stage.kind !== 'notice' || !this.state.dueAt || Date.now() >= Date.parse(this.state.dueAt)) {
      refuse(FailureType.NoticeNotOpen, 'no public notice is open on this case');
    }
    return stage;
  }

  /** The level of the actor's unit in the case's org path (after assertActorInCase). */
  actorLevel(actor: Actor): OrgLevel {
    const level = levelIn(this.input.orgPath, actor.orgUnitId);
    if (!level) refuse(FailureType.WrongOrgUnit, 'actor does not belong to a unit responsible for this case');
    return level;
  }

  validateIndicators(cmd: IndicatorsCommand): void {
    if (!IndicatorsCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed figures');
    this.assertActive();
    this.assertActorInCase(cmd.actor);
    // each figure is entered by the levels and roles the definition declares, never by the subject's
    // own unit; definitions of older histories get conservative declarations (indicatorDeclarations)
    const declared = indicatorDeclarations(this.def);
    const level = this.actorLevel(cmd.actor);
    for (const [key, value] of Object.entries(cmd.values)) {
      const declaration = declared.find((d) => d.key === key);
      if (!declaration) refuse(FailureType.InvalidInput, `this procedure takes only the figures ${declared.map((d) => d.key).join(', ') || '(none)'}`);
      const { label, enteredBy } = declaration;
      if (!enteredBy.levels.includes(level)) {
        refuse(FailureType.WrongOrgUnit, `${label} (${key}) is entered at ${enteredBy.levels.join(' or ') || 'no level'}, not by the ${level} unit`);
      }
      if (!enteredBy.roles.includes(cmd.actor.role)) refuse(FailureType.WrongRole, `${label} (${key}) is entered by ${enteredBy.roles.join(' or ')}`);
      const problem = rangeProblem(declaration, value);
      if (problem) refuse(FailureType.InvalidInput, problem);
    }
  }

  validateCancel(cmd: CancelCommand): void {
    if (!CancelCommand.safeParse(cmd).success) refuse(FailureType.InvalidInput, 'malformed cancellation');
    this.assertActive();
    this.assertActorInCase(cmd.actor);
    // the definition says who cancels (older ones: DEPUTY/LEADER of the responsible unit or above)
    const rule = cancellationRuleOf(this.def);
    const floor = rule.atOrAbove === 'responsible' ? this.currentStage().level : rule.atOrAbove;
    if (!isAtOrAbove(this.actorLevel(cmd.actor), floor)) {
      refuse(
        FailureType.WrongOrgUnit,
        rule.atOrAbove === 'responsible'
          ? `the case waits on the ${floor} level: only its unit or a unit above it may cancel it`
          : `only a unit at the ${floor} level or above may cancel this case`,
      );
    }
    if (!rule.roles.includes(cmd.actor.role)) refuse(FailureType.WrongRole, `only ${rule.roles.join(' or ')} may cancel this case`);
  }
}
