/** My notifications (in-app: escalations, reminders, notices): reading them and marking them read. */
import type { Db } from '../../lib/prisma';
import type { Principal } from '../auth';
import { notFound } from '../errors';

export class NotificationService {
  constructor(private readonly deps: { db: Db }) {}

  /** Newest first; only the unread ones if asked. */
  async list(me: Principal, { limit, unread }: { limit: number; unread?: boolean }) {
    return this.deps.db.notification.findMany({
      where: { recipientId: me.personId, ...(unread ? { readAt: null } : {}) },
      orderBy: [{ createdAt: 'desc' }, { id: 'asc' }],
      take: limit,
    });
  }

  /** Marks one of my notifications read (again: no change); another person's is not found. */
  async markRead(me: Principal, id: string): Promise<void> {
    const { db } = this.deps;
    const updated = await db.notification.updateMany({ where: { id, recipientId: me.personId, readAt: null }, data: { readAt: new Date() } });
    if (updated.count === 0 && !(await db.notification.findFirst({ where: { id, recipientId: me.personId } }))) throw notFound(`notification ${id}`);
  }
}
