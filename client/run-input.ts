// What an existing run was started with, read back from the first event of its history and
// decoded with the client's data converter (through the payload codec when runs are encrypted).
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow/index.js';
import type { RunInput } from '../workflows/run-state.js';
import { CliOperationFailed } from './cli-errors.js';
import type { Connected } from './connection.js';

export async function readRunInput(connected: Connected, runId: string): Promise<RunInput> {
  const history = await connected.client.workflow.getHandle(runId).fetchHistory();
  const payloads = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads;
  const namespace = connected.client.options.namespace;
  const input = payloads?.length
    ? await decodeFromPayloadsAtIndex<RunInput | undefined>(connected.client.options.loadedDataConverter, 0, payloads, {
        type: 'workflow',
        namespace,
        workflowId: runId,
      })
    : undefined;
  if (!input?.runbook?.steps)
    throw new CliOperationFailed(
      `the start of run ${runId} holds no runbook input that this client can read`,
      'check that this client has the encryption keys the run was started with (SSMFLOW_ENCRYPTION_KEYS)',
    );
  return input;
}
