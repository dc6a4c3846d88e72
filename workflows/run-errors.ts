// Control flow of a run that is not a step outcome: the operator chose to stop or to undo.

/** The operator aborted the run (while it waited, or during a rollback). */
export class RunAborted extends Error {}

/** The operator answered an approval with "roll back". */
export class RollbackRequested extends Error {}
