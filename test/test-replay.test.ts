import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { describe, expect, inject, it } from 'vitest';
import { projectRoot } from '../local/project-root.js';

const historiesDir = join(projectRoot, 'test', 'histories');
interface RecordedEvent {
  startChildWorkflowExecutionInitiatedEventAttributes?: { workflowId: string };
}

/**
 * A rollout names its child runs after its own workflow id (`<rollout>--<cluster>`), and a run or
 * rollout its notification deliveries (`<id>:notify:…`), so those replay under the id they were
 * recorded with; other fixtures replay under their file name.
 */
function recordedWorkflowId(events: RecordedEvent[], fixture: string): string {
  const childIds = events.flatMap((e) => e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId ?? []);
  for (const childId of childIds) {
    const at = childId.includes(':notify:') ? childId.indexOf(':notify:') : childId.lastIndexOf('--');
    if (at > 0) return childId.slice(0, at);
  }
  return fixture.replace(/\.json$/, '');
}

const fixtures = readdirSync(historiesDir)
  .filter((f) => f.endsWith('.json'))
  .sort();

// Committed histories replay against today's workflow code: a change that alters the commands a
// running workflow issues must go behind patched() or it fails here. Replaying JSON also proves
// the protobufjs de-duplication (historyFromJSON breaks with nested protobufjs copies).
describe('replay of committed workflow histories', () => {
  it('has committed histories to replay', () => {
    expect(fixtures.length).toBeGreaterThan(0);
  });

  it.each(fixtures)('%s replays deterministically', async (fixture) => {
    const history = JSON.parse(readFileSync(join(historiesDir, fixture), 'utf8')) as { events: RecordedEvent[] };
    expect(history.events.length).toBeGreaterThan(2);
    await Worker.runReplayHistory(
      { workflowBundle: { codePath: inject('workflowBundlePath') } },
      history,
      recordedWorkflowId(history.events, fixture),
    );
  });

  it('detects a history whose commands no longer match the code', async () => {
    const history = JSON.parse(readFileSync(join(historiesDir, 'check-output-bucket-succeeds.json'), 'utf8')) as {
      events: { activityTaskScheduledEventAttributes?: { activityType: { name: string } } }[];
    };
    const scheduled = history.events.find((e) => e.activityTaskScheduledEventAttributes);
    if (!scheduled?.activityTaskScheduledEventAttributes) throw new Error('fixture has no scheduled activity');
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'someOtherActivity';
    await expect(
      Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history, 'tampered'),
    ).rejects.toBeInstanceOf(DeterminismViolationError);
  });
});
