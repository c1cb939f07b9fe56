/**
 * Definitions and the official calendar: reading them (anyone signed in) and publishing new
 * versions (provincial administrators).
 */
import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../../lib/prisma';
import { Prisma } from '../../generated/prisma/client';
import { DefinitionConflictError, DefinitionError, type DefinitionStore } from '../../definitions';
import { YearSchedule, chinaDate, endOfChinaDate, loadCalendar } from '../../lib/calendar';
import { ProcedureType } from '../../workflows/procedure/definition';
import { assertProvincialAdmin, principalOf } from '../auth';
import { ApiError, forbidden, notFound } from '../errors';
import { parse } from '../validate';

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');

export function adminRoutes(db: Db, definitions: DefinitionStore): Router {
  const r = Router();

  r.get('/definitions', async (req, res) => {
    const { procedureType } = parse(z.object({ procedureType: ProcedureType.optional() }), req.query, 'query');
    const all = (await definitions.all()).filter((d) => !procedureType || d.procedureType === procedureType);
    res.json({
      items: all
        .sort((a, b) => a.procedureType.localeCompare(b.procedureType) || a.profile.localeCompare(b.profile) || a.version - b.version)
        .map((d) => ({ id: d.id, procedureType: d.procedureType, profile: d.profile, version: d.version, name: d.name, stages: d.stages.map((s) => ({ key: s.key, name: s.name, kind: s.kind, level: s.level })) })),
    });
  });

  r.get('/definitions/:procedureType/:profile', async (req, res) => {
    const { procedureType, profile } = parse(z.object({ procedureType: ProcedureType, profile: z.string().max(32) }), req.params, 'params');
    res.json(await definitions.latest(procedureType, profile));
  });

  /** Publishes a new version of a definition for the administrator's own province profile. */
  r.post('/admin/definitions', async (req, res) => {
    const me = principalOf(req);
    assertProvincialAdmin(me);
    const province = await db.orgUnit.findUniqueOrThrow({ where: { id: me.orgUnitId } });
    const profile = (req.body as { profile?: unknown } | undefined)?.profile;
    if (profile !== province.profile) throw forbidden(`you may publish only for your province's profile "${province.profile ?? 'national'}"`);
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
    const q = parse(z.object({ from: IsoDate, days: z.coerce.number().int().min(1).max(1000) }).strict(), req.query, 'query');
    const { date, provisional } = (await loadCalendar(db)).addWorkingDays(q.from, q.days);
    res.json({ from: q.from, days: q.days, date, dueAt: endOfChinaDate(date).toISOString(), provisional });
  });

  r.get('/calendar/:year', async (req, res) => {
    const { year } = parse(z.object({ year: z.coerce.number().int().min(2000).max(2100) }), req.params, 'params');
    const calendar = await loadCalendar(db);
    const schedule = calendar.schedule(year);
    if (!schedule) throw notFound(`holiday schedule of ${year}`);
    res.json({ ...schedule, today: chinaDate(Date.now()) });
  });

  /** Loads a year's official schedule (国务院办公厅 部分节假日安排) once it is published. */
  r.put('/admin/calendar/:year', async (req, res) => {
    const me = principalOf(req);
    assertProvincialAdmin(me);
    const { year } = parse(z.object({ year: z.coerce.number().int().min(2000).max(2100) }), req.params, 'params');
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
