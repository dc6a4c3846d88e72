import { randomUUID } from 'node:crypto';
import { type FleetContext, type JsonObject } from '../context.js';
import { SsmError } from '../errors.js';
import { type CommandRecord, type InvocationRecord, isTerminal } from '../records.js';
import { type Target, resolveTargets } from '../targets.js';
import { ConstraintCheck, INSTANCE_ID_PATTERN, INSTANCE_ID_PATTERN_TEXT, field } from '../validation.js';
import { commandShape, invocationShape, pluginUrls } from './command-shapes.js';
import { paginate } from './pagination.js';

const MAX_CONCURRENCY = /^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$/;
const MAX_ERRORS = /^([1-9][0-9]*|[0]|[1-9][0-9]%|[0-9]%|100%)$/;
const TARGET_KEY = /^[\p{L}\p{Z}\p{N}_.:/=\-@]*$|resource-groups:Name|resource-groups:ResourceTypeFilters/u;
const TARGET_KEY_TEXT = '^[\\p{L}\\p{Z}\\p{N}_.:/=\\-@]*$|resource-groups:Name|resource-groups:ResourceTypeFilters';

function commandIdCheck(check: ConstraintCheck, commandId: string | undefined): ConstraintCheck {
  return check.length(commandId, 'commandId', 36, 36);
}

function findCommand(ctx: FleetContext, commandId: string): CommandRecord {
  const cmd = ctx.store.command(commandId);
  if (!cmd) throw new SsmError('InvalidCommandId', '');
  return cmd;
}

export async function sendCommand(ctx: FleetContext, body: JsonObject): Promise<JsonObject> {
  const documentName = field<string>(body, 'DocumentName', 'string');
  const documentVersion = field<string>(body, 'DocumentVersion', 'string');
  const instanceIds = field<string[]>(body, 'InstanceIds', 'array');
  const targets = field<Target[]>(body, 'Targets', 'array');
  const timeoutSeconds = field<number>(body, 'TimeoutSeconds', 'number');
  const comment = field<string>(body, 'Comment', 'string');
  const parameters = field<Record<string, string[]>>(body, 'Parameters', 'object') ?? {};
  const bucket = field<string>(body, 'OutputS3BucketName', 'string');
  const keyPrefix = field<string>(body, 'OutputS3KeyPrefix', 'string');
  const maxConcurrency = field<string>(body, 'MaxConcurrency', 'string');
  const maxErrors = field<string>(body, 'MaxErrors', 'string');
  const check = new ConstraintCheck()
    .required(documentName, 'documentName')
    .pattern(documentName, 'documentName', /^[a-zA-Z0-9_\-.:/]{3,128}$/)
    .pattern(documentVersion, 'documentVersion', /([$]LATEST|[$]DEFAULT|^[1-9][0-9]*$)/)
    .count(instanceIds, 'instanceIds', 0, 50)
    .eachPattern(instanceIds, 'instanceIds', INSTANCE_ID_PATTERN, INSTANCE_ID_PATTERN_TEXT)
    .count(targets, 'targets', 0, 5)
    .range(timeoutSeconds, 'timeoutSeconds', 30, 2592000)
    .length(comment, 'comment', 0, 100)
    .length(bucket, 'outputS3BucketName', 3, 63)
    .length(keyPrefix, 'outputS3KeyPrefix', 0, 500)
    .length(maxConcurrency, 'maxConcurrency', 1, 7)
    .pattern(maxConcurrency, 'maxConcurrency', MAX_CONCURRENCY)
    .length(maxErrors, 'maxErrors', 1, 7)
    .pattern(maxErrors, 'maxErrors', MAX_ERRORS);
  (targets ?? []).forEach((t, i) => {
    check
      .length(t.Key, `targets.${i + 1}.member.key`, 1, 163)
      .pattern(t.Key, `targets.${i + 1}.member.key`, TARGET_KEY, TARGET_KEY_TEXT)
      .count(t.Values ?? [], `targets.${i + 1}.member.values`, 0, 50);
  });
  for (const [name, values] of Object.entries(parameters)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) {
      throw new SsmError('SerializationException', `Parameter ${name} must be a list of strings`);
    }
  }
  check.done();

  const doc = ctx.documents.get(documentName ?? '', documentVersion);
  const { ids, noInstancesInTag } = resolveTargets(ctx.instances, {
    ...(instanceIds ? { instanceIds } : {}),
    ...(targets ? { targets: targets.map((t) => ({ Key: t.Key, Values: t.Values ?? [] })) } : {}),
  });
  const steps = ctx.documents.render(doc, parameters);
  if (bucket) await ctx.s3.checkBucket(bucket);

  const now = Date.now();
  const mps = ctx.config.millisPerSecond;
  const deliverySeconds = timeoutSeconds ?? 3600;
  const executionSeconds = steps.reduce((sum, s) => sum + s.timeoutSeconds, 0);
  const cmd: CommandRecord = {
    commandId: randomUUID(),
    documentName: doc.name,
    documentVersion: documentVersion ?? '$DEFAULT',
    comment: comment ?? '',
    parameters,
    instanceIds: instanceIds ?? [],
    targets: (targets ?? []).map((t) => ({ Key: t.Key, Values: t.Values ?? [] })),
    requestedAt: now,
    listedAt: now + ctx.faults.commandListingLag(),
    deliveryDeadline: now + deliverySeconds * mps,
    expiresAt: now + (deliverySeconds + executionSeconds) * mps,
    timeoutSeconds: deliverySeconds,
    maxConcurrency: maxConcurrency ?? '50',
    maxErrors: maxErrors ?? '0',
    outputS3BucketName: bucket ?? '',
    outputS3KeyPrefix: keyPrefix ?? '',
    outputS3Region: ctx.config.region,
    serviceRoleArn: field<string>(body, 'ServiceRoleArn', 'string') ?? '',
    notificationConfig: field<JsonObject>(body, 'NotificationConfig', 'object') ?? {
      NotificationArn: '',
      NotificationEvents: [],
      NotificationType: '',
    },
    cloudWatchOutputConfig: field<JsonObject>(body, 'CloudWatchOutputConfig', 'object') ?? {
      CloudWatchLogGroupName: '',
      CloudWatchOutputEnabled: false,
    },
    steps,
    targetInstanceIds: ids,
    cancelRequested: false,
    stopped: false,
    noInstancesInTag,
  };
  const alarms = field<JsonObject>(body, 'AlarmConfiguration', 'object');
  if (alarms) cmd.alarmConfiguration = alarms;
  const createdAt = now + ctx.config.invocationVisibilityDelayMs;
  const invs: InvocationRecord[] = ids.map((instanceId, index) => ({
    commandId: cmd.commandId,
    instanceId,
    index,
    status: 'Pending',
    statusDetails: 'Pending',
    requestedAt: now,
    createdAt,
    // The invocationListingLagMs fault: visible later than created (dispatch is not held back).
    visibleAt: createdAt + ctx.faults.invocationListingLag(),
    dispatched: false,
    plugins: steps.map((s) => ({
      name: s.name,
      outputDir: s.outputDir,
      status: 'Pending',
      statusDetails: 'Pending',
      responseCode: -1,
      stdout: '',
      stderr: '',
    })),
  }));
  ctx.store.add(cmd, invs);
  const response = {
    Command: {
      ...commandShape(ctx, cmd),
      Status: 'Pending',
      StatusDetails: 'Pending',
      CompletedCount: 0,
      ErrorCount: 0,
      DeliveryTimedOutCount: 0,
    },
  };
  ctx.dispatcher.start(cmd);
  return response;
}

interface Filter {
  key: string;
  value: string;
}

function readFilters(body: JsonObject, allowed: readonly string[]): Filter[] {
  const raw = field<{ key?: string; value?: string }[]>(body, 'Filters', 'array');
  new ConstraintCheck().count(raw, 'filters', 1, 5).done();
  return (raw ?? []).map((f) => {
    if (!f.key || !allowed.includes(f.key)) throw new SsmError('InvalidFilterKey', `The filter key ${String(f.key)} is not valid.`);
    if (typeof f.value !== 'string' || f.value.length < 1)
      throw new SsmError('InvalidFilterValue', `The filter value for ${f.key} is not valid.`);
    return { key: f.key, value: f.value };
  });
}

function timeFilter(f: Filter): number {
  const t = Date.parse(f.value);
  if (Number.isNaN(t)) throw new SsmError('InvalidFilterValue', `${f.value} is not a valid date-time for ${f.key}.`);
  return t;
}

const COMMAND_STATUS_VALUES = ['Pending', 'InProgress', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'Cancelling'];
const COMMAND_DETAIL_VALUES = ['AccessDenied', 'DeliveryTimedOut', 'ExecutionTimedOut', 'Incomplete', 'NoInstancesInTag', 'LimitExceeded'];
const INVOCATION_STATUS_VALUES = ['Pending', 'InProgress', 'Delayed', 'Success', 'Cancelled', 'Failed', 'TimedOut', 'Cancelling'];
const INVOCATION_DETAIL_VALUES = [
  'AccessDenied',
  'DeliveryTimedOut',
  'ExecutionTimedOut',
  'Undeliverable',
  'InvalidPlatform',
  'Terminated',
];

function statusMatches(value: string, status: string, details: string, statusValues: string[], detailValues: string[]): boolean {
  if (statusValues.includes(value)) return status === value;
  if (detailValues.includes(value)) return details === value;
  throw new SsmError('InvalidFilterValue', `${value} is not a valid Status filter value.`);
}

function maxResults(body: JsonObject): number {
  const n = field<number>(body, 'MaxResults', 'number');
  new ConstraintCheck().range(n, 'maxResults', 1, 50).done();
  return n ?? 50;
}

export function listCommands(ctx: FleetContext, body: JsonObject): JsonObject {
  const commandId = field<string>(body, 'CommandId', 'string');
  const instanceId = field<string>(body, 'InstanceId', 'string');
  const check = new ConstraintCheck();
  commandIdCheck(check, commandId).pattern(instanceId, 'instanceId', INSTANCE_ID_PATTERN, INSTANCE_ID_PATTERN_TEXT).done();
  const filters = readFilters(body, ['InvokedAfter', 'InvokedBefore', 'Status', 'DocumentName', 'ExecutionStage']);
  if (instanceId && filters.some((f) => f.key === 'Status' && f.value === 'Pending')) {
    throw new SsmError('InvalidFilter', 'The InstanceId parameter cannot be combined with the Status filter value Pending.');
  }
  let cmds = ctx.store.allCommands();
  if (commandId) {
    // A lookup by id is consistent: the listingLagMs fault only delays listings.
    const cmd = ctx.store.command(commandId);
    if (!cmd) throw new SsmError('InvalidCommandId', '');
    cmds = [cmd];
  } else {
    const now = Date.now();
    cmds = cmds.filter((c) => c.listedAt === undefined || c.listedAt <= now);
  }
  if (instanceId) {
    if (!ctx.instances.has(instanceId)) throw new SsmError('InvalidInstanceId', '');
    cmds = cmds.filter((c) => c.targetInstanceIds.includes(instanceId));
  }
  for (const f of filters) {
    cmds = cmds.filter((c) => {
      switch (f.key) {
        case 'InvokedAfter':
          return c.requestedAt >= timeFilter(f);
        case 'InvokedBefore':
          return c.requestedAt <= timeFilter(f);
        case 'DocumentName':
          return c.documentName === f.value;
        case 'ExecutionStage':
          if (f.value !== 'Executing' && f.value !== 'Complete')
            throw new SsmError('InvalidFilterValue', `${f.value} is not a valid ExecutionStage.`);
          return (f.value === 'Complete') === (c.final !== undefined);
        default: {
          const shape = commandShape(ctx, c);
          return statusMatches(f.value, String(shape.Status), String(shape.StatusDetails), COMMAND_STATUS_VALUES, COMMAND_DETAIL_VALUES);
        }
      }
    });
  }
  const query = { commandId, instanceId, filters };
  const { page, nextToken } = paginate(cmds, query, maxResults(body), field<string>(body, 'NextToken', 'string'));
  return { Commands: page.map((c) => commandShape(ctx, c)), ...(nextToken ? { NextToken: nextToken } : {}) };
}

export function listCommandInvocations(ctx: FleetContext, body: JsonObject): JsonObject {
  const commandId = field<string>(body, 'CommandId', 'string');
  const instanceId = field<string>(body, 'InstanceId', 'string');
  const details = field<boolean>(body, 'Details', 'boolean') ?? false;
  const check = new ConstraintCheck();
  commandIdCheck(check, commandId).pattern(instanceId, 'instanceId', INSTANCE_ID_PATTERN, INSTANCE_ID_PATTERN_TEXT).done();
  const filters = readFilters(body, ['InvokedAfter', 'InvokedBefore', 'Status', 'DocumentName']);
  let cmds = ctx.store.allCommands();
  if (commandId) {
    const cmd = ctx.store.command(commandId);
    if (!cmd) throw new SsmError('InvalidCommandId', '');
    cmds = [cmd];
  }
  if (instanceId && !ctx.instances.has(instanceId)) throw new SsmError('InvalidInstanceId', '');
  const now = Date.now();
  let pairs: [CommandRecord, InvocationRecord][] = [];
  for (const c of cmds) {
    for (const inv of ctx.store.invocationsOf(c.commandId)) {
      // Invocations appear a short while after SendCommand, as on the real service.
      if (inv.visibleAt > now) continue;
      if (instanceId && inv.instanceId !== instanceId) continue;
      pairs.push([c, inv]);
    }
  }
  for (const f of filters) {
    pairs = pairs.filter(([c, inv]) => {
      switch (f.key) {
        case 'InvokedAfter':
          return inv.requestedAt >= timeFilter(f);
        case 'InvokedBefore':
          return inv.requestedAt <= timeFilter(f);
        case 'DocumentName':
          return c.documentName === f.value;
        default:
          return statusMatches(f.value, inv.status, inv.statusDetails, INVOCATION_STATUS_VALUES, INVOCATION_DETAIL_VALUES);
      }
    });
  }
  const query = { commandId, instanceId, filters, details };
  const { page, nextToken } = paginate(pairs, query, maxResults(body), field<string>(body, 'NextToken', 'string'));
  return {
    CommandInvocations: page.map(([c, inv]) => invocationShape(ctx, c, inv, details)),
    ...(nextToken ? { NextToken: nextToken } : {}),
  };
}

function isoOrEmpty(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString();
}

export function getCommandInvocation(ctx: FleetContext, body: JsonObject): JsonObject {
  const commandId = field<string>(body, 'CommandId', 'string');
  const instanceId = field<string>(body, 'InstanceId', 'string');
  const pluginName = field<string>(body, 'PluginName', 'string');
  const check = new ConstraintCheck().required(commandId, 'commandId').required(instanceId, 'instanceId');
  commandIdCheck(check, commandId)
    .pattern(instanceId, 'instanceId', INSTANCE_ID_PATTERN, INSTANCE_ID_PATTERN_TEXT)
    .length(pluginName, 'pluginName', 4, 1024)
    .done();
  const cmd = findCommand(ctx, commandId ?? '');
  if (!ctx.instances.has(instanceId ?? '')) throw new SsmError('InvalidInstanceId', '');
  const inv = ctx.store.invocation(cmd.commandId, instanceId ?? '');
  if (!inv || inv.visibleAt > Date.now()) throw new SsmError('InvocationDoesNotExist', '');
  let plugin = inv.plugins[0];
  if (pluginName !== undefined) {
    plugin = inv.plugins.find((p) => p.name === pluginName);
    if (!plugin) throw new SsmError('InvalidPluginName', '');
  } else if (inv.plugins.length > 1) {
    // Multi-step without PluginName: the step that decides the invocation's status (first failing, else the last).
    plugin = inv.plugins.find((p) => p.status === 'Failed' || p.status === 'TimedOut' || p.status === 'Cancelled') ?? inv.plugins.at(-1);
  }
  if (!plugin) throw new SsmError('InvocationDoesNotExist', '');
  // Single-step documents (or no PluginName) report the invocation's status, which has Delayed, Cancelling, DeliveryTimedOut…
  const usePlugin = pluginName !== undefined && inv.plugins.length > 1;
  const finished = plugin.finishedAt !== undefined || isTerminal(inv);
  const urls = pluginUrls(ctx, cmd, inv, plugin);
  const elapsed =
    plugin.startedAt !== undefined && plugin.finishedAt !== undefined
      ? `PT${((plugin.finishedAt - plugin.startedAt) / 1000).toFixed(3)}S`
      : '';
  return {
    CommandId: cmd.commandId,
    InstanceId: inv.instanceId,
    Comment: cmd.comment,
    DocumentName: cmd.documentName,
    DocumentVersion: cmd.documentVersion,
    PluginName: plugin.name,
    ResponseCode: plugin.responseCode,
    ExecutionStartDateTime: isoOrEmpty(plugin.startedAt),
    ExecutionElapsedTime: elapsed,
    ExecutionEndDateTime: isoOrEmpty(plugin.finishedAt),
    Status: usePlugin ? plugin.status : inv.status,
    StatusDetails: usePlugin ? plugin.statusDetails : inv.statusDetails,
    StandardOutputContent: finished ? plugin.stdout : '',
    StandardOutputUrl: urls.stdout,
    StandardErrorContent: finished ? plugin.stderr : '',
    StandardErrorUrl: urls.stderr,
    CloudWatchOutputConfig: cmd.cloudWatchOutputConfig,
  };
}

export function cancelCommand(ctx: FleetContext, body: JsonObject): JsonObject {
  const commandId = field<string>(body, 'CommandId', 'string');
  const instanceIds = field<string[]>(body, 'InstanceIds', 'array');
  const check = new ConstraintCheck().required(commandId, 'commandId');
  commandIdCheck(check, commandId)
    .count(instanceIds, 'instanceIds', 0, 50)
    .eachPattern(instanceIds, 'instanceIds', INSTANCE_ID_PATTERN, INSTANCE_ID_PATTERN_TEXT)
    .done();
  const cmd = findCommand(ctx, commandId ?? '');
  const ids = instanceIds ?? [];
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new SsmError('DuplicateInstanceId', `Instance ${dup} is listed more than once.`);
  const unknown = ids.filter((id) => !cmd.targetInstanceIds.includes(id));
  if (unknown.length > 0)
    throw new SsmError('InvalidInstanceId', `Instances [[${unknown.join(', ')}]] are not targets of command ${cmd.commandId}`);
  // Cancelling a finished command is accepted and changes nothing.
  ctx.dispatcher.cancel(cmd, ids);
  return {};
}
