import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, createServer, type Server } from 'node:http';
import { cancelCommand, getCommandInvocation, listCommandInvocations, listCommands, sendCommand } from './api/commands.js';
import { createDocument, describeDocument } from './api/documents.js';
import { describeInstanceInformation } from './api/instances.js';
import { getResources, TAGGING_TARGET_PREFIX } from './api/resource-tags.js';
import { getParameter, getParameters, putParameter } from './api/parameters.js';
import { FleetConfigError, parseFaults } from './config.js';
import { type FleetContext, type JsonObject, type Operation } from './context.js';
import { SsmError, throttled } from './errors.js';
import { type FaultPatch } from './faults.js';
import { parseRegistrationRequest } from './registration.js';

const OPERATIONS: Record<string, Operation> = {
  SendCommand: sendCommand,
  ListCommands: listCommands,
  ListCommandInvocations: listCommandInvocations,
  GetCommandInvocation: getCommandInvocation,
  CancelCommand: cancelCommand,
  DescribeInstanceInformation: describeInstanceInformation,
  CreateDocument: createDocument,
  DescribeDocument: describeDocument,
  GetParameter: getParameter,
  GetParameters: getParameters,
  PutParameter: putParameter,
};

// The Resource Groups Tagging API, served on the same port so discovery by tag works locally.
const TAGGING_OPERATIONS: Record<string, Operation> = {
  GetResources: getResources,
};

/** The operation an X-Amz-Target names, and the throttling error its service uses. */
function operationFor(target: string): { opName: string; op: Operation | undefined; throttleType: string } {
  if (target.startsWith('AmazonSSM.')) {
    const opName = target.slice('AmazonSSM.'.length);
    return { opName, op: OPERATIONS[opName], throttleType: 'ThrottlingException' };
  }
  if (target.startsWith(TAGGING_TARGET_PREFIX)) {
    const opName = target.slice(TAGGING_TARGET_PREFIX.length);
    return { opName, op: TAGGING_OPERATIONS[opName], throttleType: 'ThrottledException' };
  }
  throw new SsmError(
    'UnknownOperationException',
    `Expected POST / with an X-Amz-Target: AmazonSSM.<Operation> or ${TAGGING_TARGET_PREFIX}<Operation> header.`,
  );
}

const JSON_11 = 'application/x-amz-json-1.1';

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...headers,
  });
  res.end(text);
}

function sendError(res: ServerResponse, err: SsmError): void {
  send(res, err.httpStatus, { __type: err.type, message: err.message }, { 'x-amzn-errortype': err.type });
}

/** Instance ids a request names, for per-instance throttling and lost responses. */
function namedInstances(body: JsonObject): string[] {
  const ids: string[] = [];
  if (typeof body.InstanceId === 'string') ids.push(body.InstanceId);
  if (Array.isArray(body.InstanceIds)) ids.push(...body.InstanceIds.filter((x): x is string => typeof x === 'string'));
  return ids;
}

function parseFaultPatch(raw: unknown): FaultPatch {
  if (typeof raw !== 'object' || raw === null) throw new Error('body must be a JSON object');
  const o = raw as Record<string, unknown>;
  const patch: FaultPatch = {};
  if (o.global !== undefined) patch.global = o.global === null ? null : parseFaults(o.global, 'global');
  if (o.instances !== undefined) {
    if (typeof o.instances !== 'object' || o.instances === null) throw new Error('instances must be an object');
    patch.instances = Object.fromEntries(
      Object.entries(o.instances as Record<string, unknown>).map(([id, f]) => [
        id,
        f === null ? null : parseFaults(f, `instances.${id}`, 'instance'),
      ]),
    );
  }
  if (typeof o.seed === 'number') patch.seed = o.seed;
  return patch;
}

/** Reads a JSON body; a body that is not JSON is the caller's mistake (400), named as such. */
async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  try {
    return JSON.parse(text || '{}');
  } catch {
    throw new FleetConfigError('(body)', 'is not JSON');
  }
}

/** The fleet's own endpoints under /_fleet/: health, the execution journal, runtime faults and instances. */
async function handleFleetRoute(ctx: FleetContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  if (req.method === 'GET' && path === '/_fleet/health') {
    send(res, 200, {
      status: 'ok',
      instances: ctx.instances.list.length,
      runningProcesses: ctx.slots.inUse,
      waitingProcesses: ctx.slots.queued,
    });
  } else if (req.method === 'GET' && path === '/_fleet/executions') {
    send(res, 200, ctx.journal.list());
  } else if (req.method === 'GET' && path === '/_fleet/faults') {
    send(res, 200, ctx.faults.snapshot());
  } else if (req.method === 'POST' && path === '/_fleet/faults') {
    try {
      ctx.faults.apply(parseFaultPatch(JSON.parse((await readBody(req)) || '{}')));
      send(res, 200, ctx.faults.snapshot());
    } catch (err) {
      send(res, 400, { message: (err as Error).message });
    }
  } else if (req.method === 'GET' && path === '/_fleet/instances') {
    send(res, 200, { instances: ctx.instances.list });
  } else if (req.method === 'POST' && path === '/_fleet/instances') {
    try {
      const registrations = parseRegistrationRequest(await readJsonBody(req));
      ctx.registered.register(registrations, ctx.instances, ctx.faults);
      send(res, 200, { registered: registrations, instanceCount: ctx.instances.list.length });
    } catch (err) {
      if (err instanceof FleetConfigError) send(res, 400, { message: `${err.field}: ${err.problem}`, field: err.field });
      else send(res, 500, { message: `could not register the instances: ${(err as Error).message}` });
    }
  } else {
    send(res, 404, { message: `no fleet route ${req.method ?? ''} ${path}` });
  }
}

/** AWS JSON 1.1 over HTTP: `POST /` with `X-Amz-Target: AmazonSSM.<Op>` (or the tagging API's); any SigV4 signature is accepted. */
export function createSsmServer(ctx: FleetContext): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (path.startsWith('/_fleet/')) {
      void handleFleetRoute(ctx, req, res, path);
      return;
    }
    void (async () => {
      try {
        if (req.method !== 'POST') throw new SsmError('UnknownOperationException', 'Expected POST / with an X-Amz-Target header.');
        const { opName, op, throttleType } = operationFor(String(req.headers['x-amz-target'] ?? ''));
        if (!op) throw new SsmError('UnknownOperationException', `The local fleet does not implement ${opName}.`);
        const text = await readBody(req);
        let body: JsonObject;
        try {
          const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
          body = parsed as JsonObject;
        } catch {
          throw new SsmError('SerializationException', 'The request body is not a JSON object.');
        }
        const named = namedInstances(body);
        if (ctx.faults.shouldThrottle(opName, named)) throw throttled(throttleType);
        // Drawn before the operation runs, so the sequence does not depend on what the operation draws.
        const dropResponse = ctx.faults.shouldDropResponse(opName, named);
        const result = await op(ctx, body);
        if (dropResponse) {
          // The dropResponseAfterCommit fault: the work is done, the answer is lost (socket hang up).
          res.destroy();
          return;
        }
        send(res, 200, result);
      } catch (err) {
        if (err instanceof SsmError) sendError(res, err);
        else sendError(res, new SsmError('InternalServerError', (err as Error).message, 500));
      }
    })();
  });
}
