/** Messages of the operations console (connectors, backfills, dead letters, conflicts, lineage, audit). */
export const en = {
  'nav.ops': 'Operations',
} as const;

export const zh: Record<keyof typeof en, string> = {
  'nav.ops': '运维',
};
