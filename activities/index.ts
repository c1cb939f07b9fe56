import type { Db } from '../lib/prisma';
import { countingNotifier, createInAppNotifier, type NotificationCounter, type Notifier } from './notifier';
import { createProcedureActivities } from './procedure';
import { createAssessmentActivities } from './assessment';
import { createMaintenanceActivities } from './maintenance';
import { createProjectionActivities } from './projection';

export interface ActivityDeps {
  db: Db;
  notifier?: Notifier;
  /** counts the notifications handed to the channels (the worker's metrics) */
  notificationsSent?: NotificationCounter;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities({ db, notifier: channels = createInAppNotifier(db), notificationsSent }: ActivityDeps) {
  const notifier = notificationsSent ? countingNotifier(channels, notificationsSent) : channels;
  return {
    ...createProcedureActivities({ db, notifier }),
    ...createAssessmentActivities({ db, notifier }),
    ...createMaintenanceActivities({ db }),
    ...createProjectionActivities({ db, notificationsSent }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
