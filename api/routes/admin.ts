/**
 * Definitions and the official calendar: reading them (anyone signed in) and publishing new
 * versions (the central leading group the national definitions, a province its own profile).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../lib/prisma';
import { Prisma } from '../../generated/prisma/client';
import { DefinitionConflictError, DefinitionError, type DefinitionStore } from '../../definitions';
import { IsoDate, MAX_DATE, YearSchedule, chinaDate, endOfChinaDate, loadCalendar } from '../../lib/calendar';
import { ProcedureType } from '../../workflows/procedure/definition';
import { assertCentralAdmin, assertProvincialAdmin, principalOf } from '../auth';
import { ApiError, forbidden, notFound } from '../errors';
import { parse } from '../validate';
export const DefinitionsQuery = z.object({ procedureType: ProcedureType.optional() });
export const DefinitionParams = z.object({ procedureType: ProcedureType, profile: z.string().max(32) });
export const AddWorkingDaysQuery = z.object({ from: IsoDate, days: z.coerce.number().int().min(1).max(1000) }).strict();
export const CalendarYearParams = z.object({ year: z.coerce.number().int().min(2000).max(2100) });

export function adminRoutes(db: Db, definitions: DefinitionStore): Router {
  const r = Router();

  r.get('/definitions', async (req, res) => {
    const { procedureType } = parse(DefinitionsQuery, req.query, 'query');
    const all = (await definitions.all()).filter((d) => !procedureType || d.procedureType === procedureType);
    res.json({
      items: all
        .sort((a, b) => a.procedureType.localeCompare(b.procedureType) || a.profile.localeCompare(b.profile) || a.version - b.version)
        .map((d) => ({ id: d.id, procedureType: d.procedureType, profile: d.profile, version: d.version, name: d.name, stages: d.stages.map((s) => ({ key: s.key, name: s.name, kind: s.kind, level: s.level })) })),
    });
  });

  r.get('/definitions/:procedureType/:profile', async (req, res) => {
    const { procedureType, profile } = parse(DefinitionParams, req.params, 'params');
    try {
      res.json(await definitions.latest(procedureType, profile));
    } catch (err) {
      // a type whose definition is built in code (the assessment's self-summary) has none to show
      if (err instanceof DefinitionError) throw notFound(`definition of ${procedureType}`);
      throw err;
    }
  });

  /**
   * Publishes a new version of a definition. The national definitions run in every province without
   * a variant of its own: only the central leading group (its deputy in charge or main leader)
   * publishes them. A province publishes its own profile only; one that runs the national
   * definitions has none to publish. The definition must keep its procedure's mandatory stages.
   */
  r.post('/admin/definitions', async (req, res) => {
    const me = principalOf(req);
    const profile = (req.body as { profile?: unknown } | undefined)?.profile;
    if (me.orgLevel === 'CENTRAL') {
      assertCentralAdmin(me);
      if (profile !== 'national') throw forbidden('the central leading group publishes the national definitions ("national"); a province publishes its own profile');
    } else {
      assertProvincialAdmin(me);
      if (profile === 'national') throw forbidden('only the central leading group (its deputy in charge or main leader) may publish the national definitions');
      const province = await db.orgUnit.findUniqueOrThrow({ where: { id: me.orgUnitId } });
      if (!province.profile || province.profile === 'national') {
        throw forbidden('your province runs the national definitions: it has no profile of its own to publish');
      }
      if (profile !== province.profile) throw forbidden(`you may publish only for your province's profile "${province.profile}"`);
    }
    try {
      const def = await definitions.publish(req.body, me.personId);
      res.status(201).json(def);
    } catch (err) {
      if (err instanceof DefinitionError) {
        throw new ApiError(400, 'ValidationError', 'invalid procedure definition', err.issues.map((i) => ({ ...i, path: ['body', i.path].filter(Boolean).join('.') })));
      }
      if (err instanceof DefinitionConflictError) throw new ApiError(409, 'VersionConflict', err.message);
      throw err;
    }
  });

  r.get('/calendar/add-working-days', async (req, res) => {
    const q = parse(AddWorkingDaysQuery, req.query, 'query');
    const calendar = await loadCalendar(db);
    let counted: { date: string; provisional: boolean };
    try {
      counted = calendar.addWorkingDays(q.from, q.days);
    } catch (err) {
      // the count would end after the last supported date
      if (err instanceof RangeError) throw new ApiError(400, 'ValidationError', 'invalid request', [{ path: 'query.days', message: `the count ends after ${MAX_DATE}` }]);
      throw err;
    }
    const { date, provisional } = counted;
    res.json({ from: q.from, days: q.days, date, dueAt: endOfChinaDate(date).toISOString(), provisional });
  });

  r.get('/calendar/:year', async (req, res) => {
    const { year } = parse(CalendarYearParams, req.params, 'params');
    const calendar = await loadCalendar(db);
    const schedule = calendar.schedule(year);
    if (!schedule) throw notFound(`holiday schedule of ${year}`);
    res.json({ ...schedule, today: chinaDate(Date.now()) });
  });

  /**
   * Loads a year's official schedule (国务院办公厅 部分节假日安排) once it is published. The calendar is
   * national (every province's deadlines run on it): the central leading group loads it, no province.
   */
  r.put('/admin/calendar/:year', async (req, res) => {
    const me = principalOf(req);
    assertCentralAdmin(me);
    const { year } = parse(CalendarYearParams, req.params, 'params');
    const schedule = parse(YearSchedule, req.body, 'body');
    if (schedule.year !== year) throw new ApiError(400, 'ValidationError', 'invalid request', [{ path: 'body.year', message: `must be ${year}` }]);
    const document = schedule as unknown as Prisma.InputJsonValue;
    await db.calendarYear.upsert({
      where: { year },
      create: { year, source: schedule.source, document, loadedById: me.personId },
      update: { source: schedule.source, document, loadedById: me.personId, loadedAt: new Date() },
    });
    res.json(schedule);
  });

  return r;
}
