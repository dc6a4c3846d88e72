// Types shared by the runbook modules, the workflows (with `import type`) and the CLI. A runbook
// reaches the workflow normalized (every default applied, durations in ms), and each step is
// rendered with the run's parameter values just before it runs.

export type OnFailure = 'pause' | 'rollback' | 'abort' | 'continue';
export type StepKind = 'run' | 'document' | 'waitUntil' | 'approval' | 'sleep';

/** One problem found in a runbook file, pointing at the offending YAML node. */
export interface RunbookError {
  file: string;
  /** 1-based; 0 when the problem has no place in the file (such as an unreadable file). */
  line: number;
  column: number;
  /** Where in the runbook, such as `steps[2].onFailure`; empty for the whole document. */
  path: string;
  message: string;
  fix: string;
}

/** Targets as written (values may hold `{{ parameter }}` templates), lists normalized. */
export type NormalizedTargets = { tags: Record<string, string[]> } | { instanceIds: string[] };
/** Targets with parameter values substituted, ready for SendCommand. */
export type RenderedTargets = { tags: Record<string, string[]> } | { instanceIds: string[] };

export interface NormalizedRetry {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/** SSM MaxConcurrency / MaxErrors strings: a count (`'1'`) or a percentage (`'10%'`). */
export interface NormalizedRateControl {
  maxConcurrency: string;
  maxErrors: string;
}

export interface NormalizedMaintenanceWindow {
  /** Five cron fields, read in `timezone`. */
  cron: string;
  durationMs: number;
  /** IANA time zone name. */
  timezone: string;
}

/** A named SSM document with its parameters (scalars as one-element lists, as SSM wants them). */
export interface DocumentInvocation {
  name: string;
  parameters: Record<string, string[]>;
}

export type RollbackAction = { kind: 'run'; commands: string[] } | { kind: 'document'; document: DocumentInvocation };

/** Parameter values a step runs for (see StepCondition): every key must match one of its values. */
export type StepWhen = Record<string, (string | number | boolean)[]>;

interface StepBase {
  id: string;
  description?: string;
  /** Absent: the step always runs. */
  when?: StepWhen;
}

/** Settings of the steps that send SSM commands (run, document, waitUntil). */
export interface CommandStepSettings {
  onFailure: OnFailure;
  /** The most one attempt may take, delivery included (waitUntil: one check). */
  timeoutMs: number;
  /** The most the command may run on an instance once started (SSM executionTimeout); ≤ timeoutMs. */
  executionTimeoutMs: number;
  retry: NormalizedRetry;
  rateControl: NormalizedRateControl;
  /** Only starts inside the runbook's maintenance window. */
  disruptive: boolean;
  workingDirectory?: string;
  /** The step's own targets, or the runbook's. */
  targets: NormalizedTargets;
  rollback?: RollbackAction;
  /** Once started, the run can no longer be rolled back (absent: false). */
  pointOfNoReturn?: true;
}

export interface NormalizedRunStep extends StepBase, CommandStepSettings {
  kind: 'run';
  /** Shell lines for AWS-RunShellScript, templates not yet substituted. */
  commands: string[];
}

export interface NormalizedDocumentStep extends StepBase, CommandStepSettings {
  kind: 'document';
  document: DocumentInvocation;
}

export interface NormalizedWaitUntilStep extends StepBase, CommandStepSettings {
  kind: 'waitUntil';
  /** Check lines; the wait ends when they exit 0 on every target. */
  commands: string[];
  intervalMs: number;
  /** Give up after this long (the step fails; retry may start the wait over). */
  waitTimeoutMs: number;
  /** A check exiting with this code on any target fails the step at once (no further checks, no retry). */
  giveUpExitCode?: number;
}

/** Who may approve, as a run enforces it (runbook approvalPolicy, then the step's own fields). */
export interface ApprovalPolicy {
  /** Group names and `user:<identity>` entries; absent: anyone who may act on the run. */
  approvers?: string[];
  /** Distinct approvals needed before the run goes on. */
  minApprovals: number;
  /** Whether the run's initiator may approve it (four eyes when false). */
  allowSelfApproval: boolean;
}

export interface NormalizedApprovalStep extends StepBase {
  kind: 'approval';
  onFailure: OnFailure;
  message: string;
  /** Absent only in runs started before approval policies, which keep the old rule: anyone, once. */
  policy?: ApprovalPolicy;
  /** Absent: wait for an answer forever. */
  approvalTimeoutMs?: number;
  /** Earlier steps whose last output line per instance is shown under the message. */
  showOutputOf?: string[];
}

export interface NormalizedSleepStep extends StepBase {
  kind: 'sleep';
  durationMs: number;
}

export type NormalizedCommandStep = NormalizedRunStep | NormalizedDocumentStep | NormalizedWaitUntilStep;
export type NormalizedStep = NormalizedCommandStep | NormalizedApprovalStep | NormalizedSleepStep;

export type ParameterDefinition =
  | { type: 'string'; description?: string; required: boolean; default?: string; pattern?: string }
  | { type: 'integer'; description?: string; required: boolean; default?: number; minimum?: number; maximum?: number; above?: string }
  | { type: 'boolean'; description?: string; required: boolean; default?: boolean }
  | { type: 'enum'; description?: string; required: boolean; default?: string; values: string[] }
  | { type: 'secret'; description?: string; parameterStore: string };

export interface NormalizedRunbook {
  apiVersion: 'ssmflow/v1';
  name: string;
  description?: string;
  /** No step changes the instances: runs take no target lock (docs/runbook-format.md). */
  readOnly?: boolean;
  parameters: Record<string, ParameterDefinition>;
  targets: NormalizedTargets;
  maintenanceWindow?: NormalizedMaintenanceWindow;
  /** The runbook-wide approval policy (rollout waves use it); absent in runbooks normalized before policies. */
  approvalPolicy?: ApprovalPolicy;
  steps: NormalizedStep[];
}

/** A secret parameter's value as the workflow knows it: where to read it, never the value. */
export interface SecretReference {
  secret: true;
  /** Parameter Store name with templates substituted, such as /db/c1/password. */
  parameterStore: string;
}

export type ParameterValue = string | number | boolean | SecretReference;
export type ParameterValues = Record<string, ParameterValue>;

/** Settings of a rendered command step; commands may hold secret placeholders (see secrets.ts). */
export interface RenderedCommandSettings extends Omit<CommandStepSettings, 'targets' | 'rollback'> {
  targets: RenderedTargets;
  rollback?: RollbackAction;
  /** Secret parameters the commands use: parameter name → Parameter Store name to read at run time. */
  secrets: Record<string, string>;
}

export interface RenderedRunStep extends StepBase, RenderedCommandSettings {
  kind: 'run';
  commands: string[];
}

export interface RenderedDocumentStep extends StepBase, RenderedCommandSettings {
  kind: 'document';
  document: DocumentInvocation;
}

export interface RenderedWaitUntilStep extends StepBase, RenderedCommandSettings {
  kind: 'waitUntil';
  commands: string[];
  intervalMs: number;
  waitTimeoutMs: number;
  giveUpExitCode?: number;
}

export type RenderedApprovalStep = NormalizedApprovalStep;
export type RenderedSleepStep = NormalizedSleepStep;

export type RenderedCommandStep = RenderedRunStep | RenderedDocumentStep | RenderedWaitUntilStep;
export type RenderedStep = RenderedCommandStep | RenderedApprovalStep | RenderedSleepStep;
