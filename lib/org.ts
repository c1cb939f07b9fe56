/**
 * The administration's levels and the roles people hold in a unit. Pure (zod only): the workflow
 * sandbox, the API and the scripts all import it.
 */
import { z } from 'zod';

/**
 * The five levels of the administration, and above them the central leading group
 * (国务院扶贫开发领导小组), which assesses the provinces (003 篇二) and receives county-exit reports.
 */
export const ORG_LEVELS = ['CENTRAL', 'PROVINCE', 'CITY', 'COUNTY', 'TOWNSHIP', 'VILLAGE'] as const;
export const OrgLevel = z.enum(ORG_LEVELS);
export type OrgLevel = z.infer<typeof OrgLevel>;

/** 工作人员 / 分管负责人 (直接责任人) / 主要负责人 (第一责任人): 004 art. 4, 10 */
export const ROLES = ['STAFF', 'DEPUTY', 'LEADER'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const ROLE_LABELS: Record<Role, string> = {
  STAFF: '工作人员',
  DEPUTY: '分管负责人',
  LEADER: '主要负责人',
};
