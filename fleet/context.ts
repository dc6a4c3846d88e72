import { type FleetAgent } from './agent.js';
import { type FleetConfig } from './config.js';
import { type CommandDispatcher } from './dispatcher.js';
import { type DocumentRegistry } from './documents.js';
import { type FaultInjector } from './faults.js';
import { type FleetInstances } from './instances.js';
import { type ExecutionJournal } from './journal.js';
import { type ParameterStore } from './parameter-store.js';
import { type ProcessSlots } from './process-slots.js';
import { type RegisteredInstances } from './registration.js';
import { type S3OutputUploader } from './s3-output.js';
import { type CommandStore } from './store.js';

/** Everything an API operation may touch. */
export interface FleetContext {
  config: FleetConfig;
  stateDir: string;
  instances: FleetInstances;
  /** Instances registered while the fleet runs, persisted in the state dir. */
  registered: RegisteredInstances;
  faults: FaultInjector;
  documents: DocumentRegistry;
  parameters: ParameterStore;
  store: CommandStore;
  dispatcher: CommandDispatcher;
  agent: FleetAgent;
  journal: ExecutionJournal;
  slots: ProcessSlots;
  s3: S3OutputUploader;
}

export type JsonObject = Record<string, unknown>;
export type Operation = (ctx: FleetContext, body: JsonObject) => Promise<JsonObject> | JsonObject;
