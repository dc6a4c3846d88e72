import { mkdirSync } from 'node:fs';
import { type AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { FleetAgent } from './agent.js';
import { type FleetConfig, type InstanceConfig, loadFleetConfig, parseFleetConfig } from './config.js';
import { type FleetContext } from './context.js';
import { CommandDispatcher } from './dispatcher.js';
import { DocumentRegistry } from './documents.js';
import { FaultInjector, type FaultPatch } from './faults.js';
import { FleetInstances } from './instances.js';
import { type ExecutionRecord, ExecutionJournal } from './journal.js';
import { ParameterStore } from './parameter-store.js';
import { ProcessSlots } from './process-slots.js';
import { createSsmServer } from './protocol.js';
import { type InstanceRegistration, parseRegistrationRequest, RegisteredInstances } from './registration.js';
import { S3OutputUploader } from './s3-output.js';
import { installSandboxBin } from './sandbox-bin.js';
import { CommandStore } from './store.js';

export interface StartFleetOptions {
  /** The config itself (a parsed object, validated here) … */
  config?: FleetConfig | Record<string, unknown>;
  /** … or a YAML file to read it from. */
  configPath?: string;
  /** TCP port on 127.0.0.1; 0 or absent picks a free one. */
  port?: number;
  /** Where sandboxes, commands, invocations and the journal live; reused across restarts. */
  stateDir: string;
}

export interface RunningFleet {
  /** e.g. http://127.0.0.1:43123 — the value for AWS_ENDPOINT_URL_SSM. */
  readonly endpoint: string;
  readonly port: number;
  readonly stateDir: string;
  /** The execution journal: one record per started step process. */
  executions(): ExecutionRecord[];
  /** Changes faults while the fleet runs (same as POST /_fleet/faults). */
  setFaults(patch: FaultPatch): void;
  /**
   * Adds instances, or replaces those with a known id, while the fleet runs (same as
   * POST /_fleet/instances): validated like config instances (a FleetConfigError names the
   * field), kept in the state dir for a restart, targetable at once. Returns them as registered.
   */
  registerInstances(instances: readonly InstanceRegistration[]): InstanceConfig[];
  /** Every instance the fleet manages right now: the config's and the registered ones. */
  instances(): readonly InstanceConfig[];
  /** Stops serving and kills running processes; state on disk stays for a restart. */
  stop(): Promise<void>;
}

/** Starts the local SSM fleet: an SSM-API-compatible endpoint running commands on sandboxed local instances. */
export async function startFleet(options: StartFleetOptions): Promise<RunningFleet> {
  // A FleetConfig is itself valid raw config, so both forms go through the same validation.
  const config = options.configPath !== undefined ? loadFleetConfig(options.configPath) : parseFleetConfig(options.config ?? {});
  const stateDir = resolve(options.stateDir);
  mkdirSync(stateDir, { recursive: true });

  // Instances registered at run time on this state dir come back on top of the config's.
  const registered = new RegisteredInstances(stateDir);
  const startingInstances = registered.mergeInto(config.instances);
  const faults = new FaultInjector(
    config.faults,
    startingInstances.filter((i) => i.faults).map((i) => [i.id, i.faults ?? {}]),
    config.seed,
  );
  const instances = new FleetInstances(startingInstances, faults);
  const journal = new ExecutionJournal(stateDir);
  const parameters = new ParameterStore(stateDir, config.parameters, config.region);
  const documents = new DocumentRegistry(stateDir, config.documents);
  const store = new CommandStore(stateDir);
  const slots = new ProcessSlots(config.maxRunningProcesses);
  const s3 = new S3OutputUploader(config.s3Endpoint ?? process.env.AWS_ENDPOINT_URL_S3, config.region);
  const agent = new FleetAgent({
    stateDir,
    region: config.region,
    instances,
    faults,
    slots,
    journal,
    parameters,
    s3,
    millisPerSecond: config.millisPerSecond,
    binDir: installSandboxBin(stateDir),
    save: (inv) => store.saveInvocation(inv),
    finished: (cmd, inv) => dispatcher.finished(cmd, inv),
  });
  const dispatcher = new CommandDispatcher(store, instances, faults, agent, journal);
  const ctx: FleetContext = {
    config,
    stateDir,
    instances,
    registered,
    faults,
    documents,
    parameters,
    store,
    dispatcher,
    agent,
    journal,
    slots,
    s3,
  };

  const server = createSsmServer(ctx);
  // Idle connections stay open until the client or stop() closes them. A server-side idle close
  // races a client reusing that socket at the same moment (read ECONNRESET), and the tests'
  // clients send each request once so that injected faults surface.
  server.keepAliveTimeout = 0;
  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => ready());
  });
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${port}`;
  // Steps learn the endpoint (AWS_ENDPOINT_URL_SSM) before any can start: work left over from a
  // previous run resumes only now, still before the first request is served.
  agent.setEndpoint(endpoint);
  dispatcher.resumeAfterRestart();
  let stopped = false;
  return {
    endpoint,
    port,
    stateDir,
    executions: () => journal.list(),
    setFaults: (patch) => faults.apply(patch),
    registerInstances: (list) => {
      const parsed = parseRegistrationRequest({ instances: list });
      registered.register(parsed, instances, faults);
      return parsed;
    },
    instances: () => instances.list,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      dispatcher.stopAll();
      await store.flush();
      s3.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
