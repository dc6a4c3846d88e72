// Operator actions on a run: POST /v1/runs/{runId}/<action>. The caller is the `by` of the action
// and its groups travel with it (the run's approval policy matches them); the run's own validator
// decides whether the action applies now, and a refusal is a 409 with its reason.
import { operatorActionJson, sendOperatorAction } from '../../client/actions/operator.js';
import type { runControls } from '../../client/runs.js';
import type { OperatorAction, OperatorRequest, RunState } from '../../workflows/run-state.js';
import { refuseByRunbookRule } from '../authorize.js';
import type { RoleName } from '../config.js';
import type { RouteGroup } from '../context.js';
import { cliJson, errorResponses, parametersSchema, reasonSchema, runIdParams } from '../schemas.js';

interface ActionBody {
  reason?: string;
  parameters?: Record<string, string | number | boolean>;
  failedOnly?: boolean;
}

type Controls = ReturnType<typeof runControls>;

interface ActionSpec {
  role: RoleName;
  summary: string;
  reasonRequired?: boolean;
  /** retry takes changed parameters and failedOnly. */
  retryFields?: boolean;
  send(controls: Controls, request: OperatorRequest, body: ActionBody): Promise<RunState>;
}

const actions: Record<OperatorAction, ActionSpec> = {
  approve: {
    role: 'approver',
    summary: 'Approve the approval step the run waits on',
    send: (controls, request) => controls.approve(request),
  },
  reject: {
    role: 'approver',
    summary: 'Reject the approval step the run waits on (the step fails and follows its onFailure policy)',
    send: (controls, request) => controls.approve({ ...request, reject: true }),
  },
  retry: {
    role: 'operator',
    summary: 'Run the failed step again, optionally with changed parameters or only on the instances that failed',
    retryFields: true,
    send: (controls, request, body) =>
      controls.retry({
        ...request,
        ...(body.parameters && Object.keys(body.parameters).length ? { parameters: body.parameters } : {}),
        ...(body.failedOnly ? { failedOnly: true } : {}),
      }),
  },
  skip: { role: 'operator', summary: 'Skip the failed step and go on with the next', send: (controls, request) => controls.skip(request) },
  rollback: {
    role: 'operator',
    summary: 'Roll back every completed step in reverse order',
    send: (controls, request) => controls.rollback(request),
  },
  abort: {
    role: 'operator',
    summary: 'Stop the run where it is, without rolling back',
    send: (controls, request) => controls.abort(request),
  },
  pause: {
    role: 'operator',
    summary: 'Hold the run before its next step (reason required)',
    reasonRequired: true,
    send: (controls, request) => controls.pause({ ...request, reason: request.reason ?? '' }),
  },
  resume: {
    role: 'operator',
    summary: 'Go on after a pause (reason required)',
    reasonRequired: true,
    send: (controls, request) => controls.resume({ ...request, reason: request.reason ?? '' }),
  },
};

export const runActionRoutes: RouteGroup = (app, { config, connected }) => {
  for (const [action, spec] of Object.entries(actions) as [OperatorAction, ActionSpec][]) {
    app.post<{ Params: { runId: string }; Body: ActionBody }>(
      `/v1/runs/:runId/${action}`,
      {
        config: { role: spec.role },
        schema: {
          tags: ['run actions'],
          summary: spec.summary,
          description:
            `Needs the ${spec.role} role${spec.role === 'approver' ? " and the runbook's `approve` rule, if it has one" : ''}. ` +
            'The caller is recorded as who acted; the run refuses the action (409, with its reason) when it does not apply now. ' +
            `The answer is \`ssmflow ${action === 'reject' ? 'approve --reject' : action} --json\`.`,
          params: runIdParams,
          body: {
            type: 'object',
            additionalProperties: false,
            ...(spec.reasonRequired ? { required: ['reason'] } : {}),
            properties: {
              reason: reasonSchema,
              ...(spec.retryFields
                ? {
                    parameters: parametersSchema,
                    failedOnly: { type: 'boolean', description: 'send the step only to the instances that did not succeed' },
                  }
                : {}),
            },
          },
          response: {
            200: cliJson('{ action, runId, by, reason?, accepted, run: <status> }'),
            ...errorResponses([404, 409, 413, 415, 422]),
          },
        },
      },
      async (request) => {
        const { caller } = request;
        const reason = request.body.reason;
        const operatorRequest: OperatorRequest = { by: caller.identity, groups: caller.groups, ...(reason ? { reason } : {}) };
        const { after } = await sendOperatorAction(connected, request.params.runId, action, (controls, before) => {
          if (spec.role === 'approver') {
            const refused = refuseByRunbookRule(caller, before.runbook, 'approve', config);
            if (refused) throw refused;
          }
          return spec.send(controls, operatorRequest, request.body);
        });
        return operatorActionJson({ action, runId: request.params.runId, by: caller.identity, ...(reason ? { reason } : {}), run: after });
      },
    );
  }
};
