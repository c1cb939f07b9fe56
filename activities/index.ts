import type { Db } from '../lib/prisma';
import { createInAppNotifier, type Notifier } from './notifier';
import { createProcedureActivities } from './procedure';
import { createAssessmentActivities } from './assessment';
import { createMaintenanceActivities } from './maintenance';
import { createProjectionActivities } from './projection';

export interface ActivityDeps {
  db: Db;
  notifier?: Notifier;
}

/** Every activity the worker registers, built from its dependencies. */
export function createActivities({ db, notifier = createInAppNotifier(db) }: ActivityDeps) {
  return {
    ...createProcedureActivities({ db, notifier }),
    ...createAssessmentActivities({ db, notifier }),
    ...createMaintenanceActivities({ db }),
    ...createProjectionActivities({ db }),
  };
}

export type Activities = ReturnType<typeof createActivities>;
