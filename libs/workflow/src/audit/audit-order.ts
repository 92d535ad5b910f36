/** The order of audit lists and exports: newest first (the default) or oldest first. */
export const AuditOrder = {
  Desc: 'desc',
  Asc: 'asc',
} as const;
export type AuditOrder = (typeof AuditOrder)[keyof typeof AuditOrder];
export const AUDIT_ORDERS: readonly AuditOrder[] = Object.values(AuditOrder);
