// Rules that span several fields, checked after the schema: declared parameters, secrets kept out
// of places that would store or show them, maintenance window, timeouts that fit together.
import { closestMatch } from './did-you-mean.js';
import { formatDuration, parseDuration } from './duration.js';
import { cronProblem, isValidTimeZone } from './maintenance-window.js';
import { effectiveApprovalPolicy, effectiveTimeouts } from './normalize.js';
import type { DocumentCall, Parameter, Retry, Runbook, Targets } from './schema.js';
import { findTemplateReferences } from './templates.js';

export type IssuePath = (string | number)[];

export interface RunbookIssue {
  path: IssuePath;
  message: string;
  fix: string;
}

/** Where a templated string is used decides how it is rendered and whether secrets may go there. */
type Place = 'command' | 'targets' | 'document' | 'approval message' | 'workingDirectory' | 'parameterStore';

interface TemplatedString {
  path: IssuePath;
  text: string;
  place: Place;
}

// SSM's own limit for a command's executionTimeout (AWS-RunShellScript accepts up to 172800 s).
const MAX_EXECUTION_TIMEOUT_MS = 48 * 3_600_000;

function lines(value: string | string[], path: IssuePath, place: Place): TemplatedString[] {
  if (typeof value === 'string') return [{ path, text: value, place }];
  return value.map((text, index) => ({ path: [...path, index], text, place }));
}

function targetStrings(targets: Targets, path: IssuePath): TemplatedString[] {
  if (targets.instanceIds !== undefined) return lines(targets.instanceIds, [...path, 'instanceIds'], 'targets');
  return Object.entries(targets.tags ?? {}).flatMap(([key, value]) => lines(value, [...path, 'tags', key], 'targets'));
}

function documentStrings(document: DocumentCall, path: IssuePath): TemplatedString[] {
  return [
    { path: [...path, 'name'], text: document.name, place: 'document' },
    ...Object.entries(document.parameters ?? {}).flatMap(([key, value]) => lines(value, [...path, 'parameters', key], 'document')),
  ];
}

/** Every string ssmflow renders with parameter values, with where it goes. */
export function templatedStrings(runbook: Runbook): TemplatedString[] {
  const strings: TemplatedString[] = [...targetStrings(runbook.targets, ['targets'])];
  for (const [name, parameter] of Object.entries(runbook.parameters ?? {})) {
    if (parameter.type === 'secret') {
      strings.push({ path: ['parameters', name, 'parameterStore'], text: parameter.parameterStore, place: 'parameterStore' });
    }
  }
  runbook.steps.forEach((step, index) => {
    const at = (...rest: IssuePath): IssuePath => ['steps', index, ...rest];
    if (step.run !== undefined) strings.push(...lines(step.run, at('run'), 'command'));
    if (step.waitUntil !== undefined) strings.push(...lines(step.waitUntil.run, at('waitUntil', 'run'), 'command'));
    if (step.document !== undefined) strings.push(...documentStrings(step.document, at('document')));
    if (step.approval !== undefined)
      strings.push({ path: at('approval', 'message'), text: step.approval.message, place: 'approval message' });
    if (step.workingDirectory !== undefined)
      strings.push({ path: at('workingDirectory'), text: step.workingDirectory, place: 'workingDirectory' });
    if (step.targets !== undefined) strings.push(...targetStrings(step.targets, at('targets')));
    if (step.rollback?.run !== undefined) strings.push(...lines(step.rollback.run, at('rollback', 'run'), 'command'));
    if (step.rollback?.document !== undefined) strings.push(...documentStrings(step.rollback.document, at('rollback', 'document')));
  });
  return strings;
}

const secretRefusals: Record<Exclude<Place, 'command'>, string> = {
  targets: 'targets are recorded in history and shown by `ssmflow status`',
  document: 'document parameters are sent to SSM as plain text and recorded in history',
  'approval message': 'the approval message is recorded in history and shown to operators',
  workingDirectory: 'the working directory is recorded in history',
  parameterStore: 'a Parameter Store name is recorded in history',
};

function checkTemplates(runbook: Runbook): RunbookIssue[] {
  const parameters = runbook.parameters ?? {};
  const declared = Object.keys(parameters);
  const issues: RunbookIssue[] = [];
  for (const { path, text, place } of templatedStrings(runbook)) {
    for (const reference of findTemplateReferences(text)) {
      const parameter = Object.hasOwn(parameters, reference.name) ? parameters[reference.name] : undefined;
      if (parameter === undefined) {
        const near = closestMatch(reference.name, declared);
        issues.push({
          path,
          message: `uses ${reference.text}, but no parameter "${reference.name}" is declared`,
          fix:
            near !== undefined
              ? `did you mean {{ ${near} }}? Otherwise declare it under parameters, e.g. ${reference.name}: { type: string }`
              : `declare it under parameters, e.g. ${reference.name}: { type: string, description: … }`,
        });
        continue;
      }
      if (parameter.type === 'secret' && place !== 'command') {
        issues.push({
          path,
          message: `uses secret parameter {{ ${reference.name} }} in ${place === 'parameterStore' ? 'a Parameter Store name' : `the ${place}`}: ${secretRefusals[place]}`,
          fix: 'use secrets only in shell commands (run, waitUntil.run, rollback.run), where ssmflow fills them in at send time',
        });
      }
    }
  }
  return issues;
}

function checkMaintenanceWindow(runbook: Runbook): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  const window = runbook.maintenanceWindow;
  if (window !== undefined) {
    const timezoneValid = isValidTimeZone(window.timezone);
    if (!timezoneValid) {
      issues.push({
        path: ['maintenanceWindow', 'timezone'],
        message: `"${window.timezone}" is not an IANA time zone name`,
        fix: 'use a name such as UTC, Europe/Berlin or America/New_York',
      });
    }
    const problem = cronProblem(window.cron, timezoneValid ? window.timezone : 'UTC');
    if (problem !== undefined) {
      issues.push({
        path: ['maintenanceWindow', 'cron'],
        message: `"${window.cron}" is not a valid cron: ${problem}`,
        fix: "write five fields: minute hour day-of-month month day-of-week, e.g. '0 2 * * SAT' for Saturdays at 02:00",
      });
    }
  }
  runbook.steps.forEach((step, index) => {
    if (step.disruptive === true && window === undefined) {
      issues.push({
        path: ['steps', index, 'disruptive'],
        message: 'a disruptive step needs a maintenanceWindow to wait for, and the runbook has none',
        fix: "add maintenanceWindow: { cron: '0 2 * * SAT', duration: 4h, timezone: UTC } at the top level, or remove disruptive",
      });
    }
  });
  return issues;
}

function checkRetryIntervals(retry: Retry, path: IssuePath): RunbookIssue[] {
  const { initialInterval, maximumInterval } = retry;
  if (initialInterval === undefined || maximumInterval === undefined) return [];
  if (parseDuration(maximumInterval) >= parseDuration(initialInterval)) return [];
  return [
    {
      path: [...path, 'maximumInterval'],
      message: `maximumInterval ${maximumInterval} is shorter than initialInterval ${initialInterval}`,
      fix: 'make maximumInterval at least initialInterval',
    },
  ];
}

function checkTimings(runbook: Runbook): RunbookIssue[] {
  const defaults = runbook.defaults ?? {};
  const issues: RunbookIssue[] = defaults.retry === undefined ? [] : checkRetryIntervals(defaults.retry, ['defaults', 'retry']);
  runbook.steps.forEach((step, index) => {
    if (step.approval !== undefined || step.sleep !== undefined) return;
    const { timeoutMs, executionTimeoutMs } = effectiveTimeouts(defaults, step);
    const executionPath: IssuePath =
      step.executionTimeout !== undefined ? ['steps', index, 'executionTimeout'] : ['defaults', 'executionTimeout'];
    if (executionTimeoutMs > MAX_EXECUTION_TIMEOUT_MS) {
      issues.push({
        path: executionPath,
        message: `${formatDuration(executionTimeoutMs)} is over SSM's limit of 48h`,
        fix: 'use 48h or less',
      });
    } else if (executionTimeoutMs > timeoutMs) {
      issues.push({
        path: executionPath,
        message: `executionTimeout ${formatDuration(executionTimeoutMs)} is longer than the step timeout ${formatDuration(timeoutMs)}`,
        fix: 'raise the step timeout (it includes delivery) or lower executionTimeout',
      });
    }
    const stepSetsInterval = step.retry?.initialInterval !== undefined || step.retry?.maximumInterval !== undefined;
    if (stepSetsInterval) issues.push(...checkRetryIntervals({ ...defaults.retry, ...step.retry }, ['steps', index, 'retry']));
    if (step.waitUntil !== undefined && parseDuration(step.waitUntil.interval) >= parseDuration(step.waitUntil.timeout)) {
      issues.push({
        path: ['steps', index, 'waitUntil', 'interval'],
        message: `interval ${step.waitUntil.interval} is not shorter than the wait timeout ${step.waitUntil.timeout}, so the check runs only once`,
        fix: 'shorten the interval or lengthen the timeout',
      });
    }
  });
  return issues;
}

/** A value a `when` condition compares with must be one the parameter can take. */
function conditionValueProblem(parameter: Parameter, value: string | number | boolean): string | undefined {
  if (parameter.type === 'enum')
    return parameter.values.includes(String(value)) ? undefined : `is not one of its values (${parameter.values.join(', ')})`;
  if (parameter.type === 'integer') return typeof value === 'number' && Number.isInteger(value) ? undefined : 'is not an integer';
  if (parameter.type === 'boolean') return typeof value === 'boolean' ? undefined : 'is not true or false';
  return typeof value === 'string' ? undefined : 'is not a string (quote it)';
}

function checkParameterOrdering(runbook: Runbook): RunbookIssue[] {
  const parameters = runbook.parameters ?? {};
  const issues: RunbookIssue[] = [];
  for (const [name, parameter] of Object.entries(parameters)) {
    if (parameter.type !== 'integer' || parameter.above === undefined) continue;
    const other = parameters[parameter.above];
    if (other?.type === 'integer' && parameter.above !== name) continue;
    issues.push({
      path: ['parameters', name, 'above'],
      message:
        parameter.above === name
          ? 'a parameter cannot be above itself'
          : `"${parameter.above}" is not an integer parameter of this runbook`,
      fix: 'name another integer parameter',
    });
  }
  return issues;
}

function checkStepConditions(runbook: Runbook): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  const parameters = runbook.parameters ?? {};
  runbook.steps.forEach((step, index) => {
    for (const [name, expected] of Object.entries(step.when ?? {})) {
      const path: IssuePath = ['steps', index, 'when', name];
      const parameter = parameters[name];
      if (parameter === undefined) {
        const suggestion = closestMatch(name, Object.keys(parameters));
        issues.push({
          path,
          message: `"${name}" is not a declared parameter`,
          fix: suggestion ? `did you mean "${suggestion}"?` : `declare it under parameters:`,
        });
        continue;
      }
      if (parameter.type === 'secret') {
        issues.push({
          path,
          message: `"${name}" is a secret: ssmflow never reads its value, so it cannot choose steps`,
          fix: 'condition the step on a non-secret parameter',
        });
        continue;
      }
      for (const value of Array.isArray(expected) ? expected : [expected]) {
        const problem = conditionValueProblem(parameter, value);
        if (problem)
          issues.push({
            path,
            message: `${JSON.stringify(value)} ${problem} for parameter "${name}" (${parameter.type})`,
            fix: 'compare with a value the parameter can take',
          });
      }
    }
  });
  return issues;
}

/** An approval shows the output of steps that ran before it in the same run. */
function checkApprovalOutputs(runbook: Runbook): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  runbook.steps.forEach((step, index) => {
    (step.approval?.showOutputOf ?? []).forEach((id, position) => {
      const earlier = runbook.steps.slice(0, index).find((s) => s.id === id);
      if (
        earlier !== undefined &&
        earlier.approval === undefined &&
        earlier.sleep === undefined &&
        conditionsCompatible(earlier.when, step.when)
      )
        return;
      issues.push({
        path: ['steps', index, 'approval', 'showOutputOf', position],
        message:
          earlier === undefined
            ? `"${id}" is not a step before this approval`
            : `step "${id}" has no output to show in this run (an approval, a sleep, or a step of another strategy)`,
        fix: 'name an earlier run, document or waitUntil step',
      });
    });
  });
  return issues;
}

/**
 * An approval that names only people must name enough of them to reach minApprovals, counting the
 * initiator out when four eyes hold: otherwise no run of the runbook could ever pass it.
 */
function checkApprovalPolicies(runbook: Runbook): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  const check = (policy: Parameters<typeof effectiveApprovalPolicy>[1], path: IssuePath, base = runbook.approvalPolicy) => {
    const { approvers, minApprovals } = effectiveApprovalPolicy(base, policy);
    if (approvers === undefined || approvers.some((a) => !a.startsWith('user:'))) return;
    const people = new Set(approvers.map((a) => a.toLowerCase())).size;
    if (people >= minApprovals) return;
    issues.push({
      path: [...path, 'minApprovals'],
      message: `needs ${minApprovals} distinct approvals but approvers name only ${people} ${people === 1 ? 'person' : 'people'}`,
      fix: 'lower minApprovals, name more people, or name a group in approvers',
    });
  };
  if (runbook.approvalPolicy) check(runbook.approvalPolicy, ['approvalPolicy'], {});
  runbook.steps.forEach((step, index) => {
    // A step that sets neither field inherits the runbook's policy, checked above.
    if (step.approval && (step.approval.approvers || step.approval.minApprovals !== undefined))
      check(step.approval, ['steps', index, 'approval']);
  });
  return issues;
}

/** Two `when` conditions can both hold unless they want disjoint values of one parameter. */
function conditionsCompatible(a: Runbook['steps'][number]['when'], b: Runbook['steps'][number]['when']): boolean {
  const list = (value: string | number | boolean | (string | number | boolean)[]) => (Array.isArray(value) ? value : [value]);
  for (const [name, wanted] of Object.entries(a ?? {})) {
    const other = b?.[name];
    if (other !== undefined && !list(wanted).some((value) => list(other).includes(value))) return false;
  }
  return true;
}

/** After a point of no return the run cannot roll back, so a later step must not ask for it. */
function checkPointOfNoReturn(runbook: Runbook): RunbookIssue[] {
  const issues: RunbookIssue[] = [];
  runbook.steps.forEach((step, index) => {
    if (step.onFailure !== 'rollback') return;
    const before = runbook.steps
      .slice(0, index + 1)
      .find((earlier) => earlier.pointOfNoReturn === true && conditionsCompatible(earlier.when, step.when));
    if (before === undefined) return;
    issues.push({
      path: ['steps', index, 'onFailure'],
      message: `step "${step.id}" runs after the point of no return "${before.id}", where the run can no longer roll back`,
      fix: 'use onFailure: pause (the operator retries, skips or aborts) or abort',
    });
  });
  return issues;
}

/** Problems the schema cannot see; empty for a runbook that is ready to run. */
export function crossCheckRunbook(runbook: Runbook): RunbookIssue[] {
  return [
    ...checkTemplates(runbook),
    ...checkMaintenanceWindow(runbook),
    ...checkTimings(runbook),
    ...checkStepConditions(runbook),
    ...checkPointOfNoReturn(runbook),
    ...checkParameterOrdering(runbook),
    ...checkApprovalOutputs(runbook),
    ...checkApprovalPolicies(runbook),
  ];
}
