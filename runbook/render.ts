// Substitutes parameter values into a normalized step just before it runs. Values landing in shell
// commands are shell-quoted; secrets become placeholders the sending activity fills in. Pure code:
// runs inside the workflow sandbox.
import { secretPlaceholder } from './secrets.js';
import { shellQuote } from './shell-quote.js';
import { replaceTemplateReferences } from './templates.js';
import type {
  DocumentInvocation,
  NormalizedStep,
  NormalizedTargets,
  ParameterValue,
  ParameterValues,
  RenderedStep,
  RenderedTargets,
  RollbackAction,
  SecretReference,
} from './types.js';

export { redactSecrets, commandsReadingSecretsOnInstance, secretPlaceholder } from './secrets.js';

function isSecret(value: ParameterValue): value is SecretReference {
  return typeof value === 'object';
}

function lookup(values: ParameterValues, name: string): ParameterValue {
  const value = Object.hasOwn(values, name) ? values[name] : undefined;
  if (value === undefined) throw new Error(`no value for parameter "${name}"`);
  return value;
}

/** Plain-text substitution (messages, targets, document parameters); secrets are refused. */
export function renderText(text: string, values: ParameterValues): string {
  return replaceTemplateReferences(text, (name) => {
    const value = lookup(values, name);
    if (isSecret(value)) throw new Error(`secret parameter "${name}" can only be used in shell commands`);
    return String(value);
  });
}

/** Substitution in a shell line: each value becomes one quoted word; secrets become placeholders. */
export function renderCommand(line: string, values: ParameterValues, secretsUsed?: Record<string, string>): string {
  return replaceTemplateReferences(line, (name) => {
    const value = lookup(values, name);
    if (isSecret(value)) {
      if (secretsUsed !== undefined) secretsUsed[name] = value.parameterStore;
      return secretPlaceholder(name);
    }
    return shellQuote(String(value));
  });
}

export function renderTargets(targets: NormalizedTargets, values: ParameterValues): RenderedTargets {
  if ('instanceIds' in targets) return { instanceIds: targets.instanceIds.map((id) => renderText(id, values)) };
  const tags: Record<string, string[]> = {};
  for (const [key, tagValues] of Object.entries(targets.tags)) tags[key] = tagValues.map((value) => renderText(value, values));
  return { tags };
}

function renderDocument(document: DocumentInvocation, values: ParameterValues): DocumentInvocation {
  const parameters: Record<string, string[]> = {};
  for (const [key, list] of Object.entries(document.parameters)) parameters[key] = list.map((value) => renderText(value, values));
  return { name: renderText(document.name, values), parameters };
}

function renderRollback(rollback: RollbackAction, values: ParameterValues, secretsUsed: Record<string, string>): RollbackAction {
  if (rollback.kind === 'run') {
    return { kind: 'run', commands: rollback.commands.map((line) => renderCommand(line, values, secretsUsed)) };
  }
  return { kind: 'document', document: renderDocument(rollback.document, values) };
}

/** The step with every `{{ parameter }}` substituted, ready for the activities. */
export function renderStep(step: NormalizedStep, values: ParameterValues): RenderedStep {
  switch (step.kind) {
    case 'approval':
      return { ...step, message: renderText(step.message, values) };
    case 'sleep':
      return { ...step };
    case 'run':
    case 'document':
    case 'waitUntil': {
      const secrets: Record<string, string> = {};
      const { rollback, targets, workingDirectory, ...settings } = step;
      const rendered = {
        ...settings,
        targets: renderTargets(targets, values),
        secrets,
        ...(workingDirectory === undefined ? {} : { workingDirectory: renderText(workingDirectory, values) }),
        ...(rollback === undefined ? {} : { rollback: renderRollback(rollback, values, secrets) }),
      };
      if (step.kind === 'document') return { ...rendered, kind: 'document', document: renderDocument(step.document, values) };
      const commands = step.commands.map((line) => renderCommand(line, values, secrets));
      if (step.kind === 'run') return { ...rendered, kind: 'run', commands };
      return {
        ...rendered,
        kind: 'waitUntil',
        commands,
        intervalMs: step.intervalMs,
        waitTimeoutMs: step.waitTimeoutMs,
        ...(step.giveUpExitCode === undefined ? {} : { giveUpExitCode: step.giveUpExitCode }),
      };
    }
  }
}
