/** The supervisors' dashboard: per unit under mine, what is late (see services/supervision.ts). */
import { Router } from 'express';
import { principalOf } from '../auth';
import type { SupervisionService } from '../services/supervision';

export function supervisionRoutes(service: SupervisionService): Router {
  const r = Router();

  r.get('/supervision/summary', async (req, res) => {
    res.json(await service.summary(principalOf(req)));
  });

  return r;
}
