/**
 * The journal of a case: every change of a case's state is an entry (who, what, when), kept in the
 * workflow and projected to the database past a confirmed watermark. One mechanism for every kind
 * of case — procedure, assessment, rectification, duty — projected by one activity into one
 * audit table (CaseEvent).
 *
 * Projection is at-least-once and order-safe: each call sends every entry past the highest seq a
 * completed projection confirmed (the rows are keyed by (case, seq), so a resend writes nothing
 * twice) together with the case's snapshot at `stateSeq` (the last entry's seq; a write with an
 * older seq never overwrites a newer one). A projection stuck on a dead worker therefore leaves no
 * gap once a later one lands.
 */
import type { Actor, Attachment } from '../procedure/contract';

/** One audit entry. JSON only: instants are ISO strings. */
export interface JournalEntry {
  seq: number;
  at: string;
  action: string;
  actor?: Actor;
  comment?: string;
  attachments?: Attachment[];
  data?: Record<string, unknown>;
  /** procedure cases: the stage the entry belongs to, and which visit of it */
  stageKey?: string;
  stageName?: string;
  round?: number;
}

/** What a journal carries across continue-as-new: its newest entries and the confirmed watermark. */
export interface JournalCarry<E extends JournalEntry = JournalEntry> {
  entries: E[];
  confirmed: number;
}

export type NewEntry<E extends JournalEntry> = Omit<E, 'seq' | 'at'>;

export class Journal<E extends JournalEntry = JournalEntry> {
  /** the entries of this run (a continued run starts with the newest entries of the last) */
  readonly entries: E[];
  /** highest seq whose projection completed: every entry up to it is in the database */
  confirmed: number;
  /** highest seq handed to a projection, completed or not */
  private sent: number;
  /** projections scheduled and not yet completed */
  inFlight = 0;
  private nextSeq: number;
  /** parts of the snapshot (assessed units, rectification items) and when each last changed */
  private partVersion = 0;
  private partsConfirmed = 0;
  private readonly partChangedAt = new Map<string, number>();

  /**
   * @param resendUnconfirmed project again while an earlier projection is still in flight (the
   *   procedure engine; the other workflows adopt it behind a patch — runs recorded before wait
   *   for nothing new to be sent)
   */
  constructor(
    private readonly options: { resendUnconfirmed: boolean },
    carried?: JournalCarry<E>,
  ) {
    this.entries = carried?.entries ?? [];
    this.confirmed = carried?.confirmed ?? 0;
    this.sent = this.confirmed;
    this.nextSeq = this.entries.length ? this.entries[this.entries.length - 1].seq + 1 : this.confirmed + 1;
  }

  /** seq of the newest entry (0 before the first): the version of the case's state */
  get seq(): number {
    return this.nextSeq - 1;
  }

  record(entry: NewEntry<E>): E {
    const full = { seq: this.nextSeq++, at: new Date(Date.now()).toISOString(), ...entry } as E;
    this.entries.push(full);
    return full;
  }

  /**
   * Marks parts of the snapshot as changed: a projection carries only the parts changed since the
   * last confirmed one (a province's 200 units are not sent with every decision).
   */
  touch(...parts: string[]): void {
    for (const part of parts) this.partChangedAt.set(part, ++this.partVersion);
  }

  /** Entries not yet confirmed in the database. */
  unconfirmed(): E[] {
    return this.entries.filter((e) => e.seq > this.confirmed);
  }

  /**
   * Hands the unconfirmed entries and the state version to `write` (the projection activity),
   * unless there is nothing to send.
   */
  async project(write: (entries: E[], stateSeq: number, changed: (part: string) => boolean) => Promise<void>): Promise<void> {
    const upTo = this.seq;
    if (this.options.resendUnconfirmed ? this.confirmed >= upTo : this.sent >= upTo) return;
    const entries = this.unconfirmed();
    const partsUpTo = this.partVersion;
    const partsAfter = this.partsConfirmed;
    this.sent = Math.max(this.sent, upTo);
    this.inFlight++;
    try {
      await write(entries, upTo, (part) => (this.partChangedAt.get(part) ?? 0) > partsAfter);
    } finally {
      this.inFlight--;
    }
    this.confirmed = Math.max(this.confirmed, upTo);
    this.partsConfirmed = Math.max(this.partsConfirmed, partsUpTo);
  }

  /** What a continued run carries: the newest `keep` entries (all of them projected). */
  carry(keep: number): JournalCarry<E> {
    return { entries: keep > 0 ? this.entries.slice(-keep) : [], confirmed: this.confirmed };
  }
}
