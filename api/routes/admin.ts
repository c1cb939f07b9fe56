/**
 * Definitions and the official calendar: reading them (anyone signed in) and publishing new
 * versions (the central leading group the national definitions, a province its own profile).
 * zod parse → service → answer; the services hold the rules and throw typed errors.
 */
import { Router } from 'express';
import { z } from 'zod';
import { IsoDate, YearSchedule } from '../../lib/calendar';
import { ProcedureType } from '../../workflows/procedure/definition';
import { assertCentralAdmin, principalOf } from '../auth';
import type { CalendarService } from '../services/calendar';
import type { DefinitionService } from '../services/definitions';
import { parse } from '../validate';

export const DefinitionsQuery = z.object({ procedureType: ProcedureType.optional() });
export const DefinitionParams = z.object({ procedureType: ProcedureType, profile: z.string().max(32) });
export const AddWorkingDaysQuery = z.object({ from: IsoDate, days: z.coerce.number().int().min(1).max(1000) }).strict();
export const CalendarYearParams = z.object({ year: z.coerce.number().int().min(2000).max(2100) });

export function adminRoutes(definitions: DefinitionService, calendar: CalendarService): Router {
  const r = Router();

  r.get('/definitions', async (req, res) => {
    const { procedureType } = parse(DefinitionsQuery, req.query, 'query');
    res.json(await definitions.list(procedureType));
  });

  r.get('/definitions/:procedureType/:profile', async (req, res) => {
    const { procedureType, profile } = parse(DefinitionParams, req.params, 'params');
    res.json(await definitions.latest(procedureType, profile));
  });

  // the body is the definition, validated by the store once the caller may publish its profile
  r.post('/admin/definitions', async (req, res) => {
    res.status(201).json(await definitions.publish(principalOf(req), req.body));
  });

  r.get('/calendar/add-working-days', async (req, res) => {
    const q = parse(AddWorkingDaysQuery, req.query, 'query');
    res.json(await calendar.addWorkingDays(q.from, q.days));
  });

  r.get('/calendar/:year', async (req, res) => {
    const { year } = parse(CalendarYearParams, req.params, 'params');
    res.json(await calendar.year(year));
  });

  /** Loads a year's official schedule once it is published: who may is checked before the request is read. */
  r.put('/admin/calendar/:year', async (req, res) => {
    const me = principalOf(req);
    assertCentralAdmin(me);
    const { year } = parse(CalendarYearParams, req.params, 'params');
    res.json(await calendar.load(me, year, parse(YearSchedule, req.body, 'body')));
  });

  return r;
}
