// What a schedule does when a run is still going at its next time (`schedule create --overlap`,
// `schedule trigger --overlap`), by the names the CLI takes. scheduled-run.ts maps each to
// Temporal's ScheduleOverlapPolicy; this list stays free of Temporal so defining the flags is cheap.
export const overlapNames = ['skip', 'buffer-one', 'buffer-all', 'cancel-other', 'terminate-other', 'allow-all'] as const;

export type OverlapName = (typeof overlapNames)[number];
