/**
 * Notification channels. In-app notifications are rows people read through the API; webhook and
 * email channels will implement the same interface. Sending is idempotent by `dedupeKey`.
 */
import type { MetricMeter } from '@temporalio/common';
import type { Db } from '../lib/prisma';

export interface OutgoingNotification {
  dedupeKey: string;
  recipientId: string;
  procedureId?: string;
  kind: 'REMINDER' | 'ESCALATION' | 'TASK' | 'INFO';
  title: string;
  body: string;
}

export interface Notifier {
  send(notifications: OutgoingNotification[]): Promise<void>;
}

export function createInAppNotifier(db: Db): Notifier {
  return {
    async send(notifications) {
      if (notifications.length === 0) return;
      await db.notification.createMany({
        data: notifications.map((n) => ({ ...n, channel: 'in-app' })),
        skipDuplicates: true,
      });
    },
  };
}

/** Counts the notifications handed to the channels, by kind. */
export type NotificationCounter = (kind: string, count: number) => void;

/**
 * A counter on the worker's Temporal metric meter, exported with the SDK's own metrics:
 * `fupin_notifications_sent{kind}` (`kind="ESCALATION"`: the escalations sent).
 */
export function meterCounter(meter: MetricMeter): NotificationCounter {
  const sent = meter.createCounter('fupin_notifications_sent', 'notifications', 'notifications handed to the channels, by kind (TASK, REMINDER, ESCALATION, INFO)');
  return (kind, count) => sent.add(count, { kind });
}

/** Counts what `inner` was handed, by kind (a retried activity counts its batch again). */
export function countingNotifier(inner: Notifier, counted: NotificationCounter): Notifier {
  return {
    async send(notifications) {
      await inner.send(notifications);
      const byKind = new Map<string, number>();
      for (const n of notifications) byKind.set(n.kind, (byKind.get(n.kind) ?? 0) + 1);
      for (const [kind, count] of byKind) counted(kind, count);
    },
  };
}
