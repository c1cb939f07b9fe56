/**
 * Notification channels. In-app notifications are rows people read through the API; webhook and
 * email channels will implement the same interface. Sending is idempotent by `dedupeKey`.
 */
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
