import { type FleetContext, type JsonObject } from '../context.js';
import { outputKey, outputUrl, pluginOutput } from '../output.js';
import { type CommandRecord, type InvocationRecord, type PluginRecord, countInvocations, liveCommandStatus } from '../records.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export function commandShape(ctx: FleetContext, cmd: CommandRecord): JsonObject {
  const invs = ctx.store.invocationsOf(cmd.commandId);
  const counts = countInvocations(invs);
  const { status, statusDetails } = liveCommandStatus(cmd, invs);
  return {
    CommandId: cmd.commandId,
    DocumentName: cmd.documentName,
    DocumentVersion: cmd.documentVersion,
    Comment: cmd.comment,
    ExpiresAfter: seconds(cmd.expiresAt),
    Parameters: cmd.parameters,
    InstanceIds: cmd.instanceIds,
    Targets: cmd.targets,
    RequestedDateTime: seconds(cmd.requestedAt),
    Status: status,
    StatusDetails: statusDetails,
    OutputS3Region: cmd.outputS3Region,
    OutputS3BucketName: cmd.outputS3BucketName,
    OutputS3KeyPrefix: cmd.outputS3KeyPrefix,
    MaxConcurrency: cmd.maxConcurrency,
    MaxErrors: cmd.maxErrors,
    TargetCount: counts.targetCount,
    CompletedCount: counts.completedCount,
    ErrorCount: counts.errorCount,
    DeliveryTimedOutCount: counts.deliveryTimedOutCount,
    ServiceRole: cmd.serviceRoleArn,
    NotificationConfig: cmd.notificationConfig,
    CloudWatchOutputConfig: cmd.cloudWatchOutputConfig,
    TimeoutSeconds: cmd.timeoutSeconds,
    ...(cmd.alarmConfiguration ? { AlarmConfiguration: cmd.alarmConfiguration, TriggeredAlarms: [] } : {}),
  };
}

/** S3 URLs of a step's streams: reported once the step has started, whether or not an object was written. */
export function pluginUrls(
  ctx: FleetContext,
  cmd: CommandRecord,
  inv: InvocationRecord,
  p: PluginRecord,
): { stdout: string; stderr: string } {
  if (!cmd.outputS3BucketName || p.startedAt === undefined) return { stdout: '', stderr: '' };
  const url = (stream: 'stdout' | 'stderr') =>
    outputUrl(
      ctx.config.region,
      cmd.outputS3BucketName,
      outputKey(cmd.outputS3KeyPrefix, inv.commandId, inv.instanceId, p.outputDir, stream),
    );
  return { stdout: url('stdout'), stderr: url('stderr') };
}

export function pluginShape(ctx: FleetContext, cmd: CommandRecord, inv: InvocationRecord, p: PluginRecord): JsonObject {
  const urls = pluginUrls(ctx, cmd, inv, p);
  const prefix = [cmd.outputS3KeyPrefix, inv.commandId, inv.instanceId, 'awsrunShellScript'].filter(Boolean).join('/');
  return {
    Name: p.name,
    Status: p.status,
    StatusDetails: p.statusDetails,
    ResponseCode: p.responseCode,
    ...(p.startedAt !== undefined ? { ResponseStartDateTime: p.startedAt / 1000 } : {}),
    ...(p.finishedAt !== undefined ? { ResponseFinishDateTime: p.finishedAt / 1000 } : {}),
    Output: pluginOutput(p.stdout, p.stderr),
    StandardOutputUrl: urls.stdout,
    StandardErrorUrl: urls.stderr,
    OutputS3Region: cmd.outputS3Region,
    OutputS3BucketName: cmd.outputS3BucketName,
    OutputS3KeyPrefix: cmd.outputS3BucketName ? prefix : '',
  };
}

export function invocationShape(ctx: FleetContext, cmd: CommandRecord, inv: InvocationRecord, details: boolean): JsonObject {
  // Invocation-level URLs only for single-plugin documents.
  const single = inv.plugins.length === 1 && inv.plugins[0] ? pluginUrls(ctx, cmd, inv, inv.plugins[0]) : { stdout: '', stderr: '' };
  return {
    CommandId: inv.commandId,
    InstanceId: inv.instanceId,
    InstanceName: '',
    Comment: cmd.comment,
    DocumentName: cmd.documentName,
    DocumentVersion: cmd.documentVersion,
    RequestedDateTime: inv.requestedAt / 1000,
    Status: inv.status,
    StatusDetails: inv.statusDetails,
    TraceOutput: '',
    StandardOutputUrl: single.stdout,
    StandardErrorUrl: single.stderr,
    CommandPlugins: details ? inv.plugins.map((p) => pluginShape(ctx, cmd, inv, p)) : [],
    ServiceRole: cmd.serviceRoleArn,
    NotificationConfig: cmd.notificationConfig,
    CloudWatchOutputConfig: cmd.cloudWatchOutputConfig,
  };
}
