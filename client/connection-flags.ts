// The Temporal connection flags every command that talks to Temporal takes, each with its
// environment variable. Defining them loads nothing but commander; connecting is connection.ts.
import { Option, type Command } from 'commander';

export interface ConnectionFlags {
  address: string;
  namespace: string;
  apiKey?: string;
  apiKeyFile?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  tlsServerName?: string;
}

export const defaultTaskQueue = 'ssmflow';

/** Adds the Temporal connection flags (each with its environment variable) to a command. */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--address <host:port>', 'Temporal frontend')
        .env('TEMPORAL_ADDRESS')
        .default('127.0.0.1:7233')
        .helpGroup('Temporal connection:'),
    )
    .addOption(
      new Option('--namespace <name>', 'Temporal namespace').env('TEMPORAL_NAMESPACE').default('default').helpGroup('Temporal connection:'),
    )
    .addOption(
      new Option('--api-key <key>', 'API key (Temporal Cloud); turns TLS on').env('TEMPORAL_API_KEY').helpGroup('Temporal connection:'),
    )
    .addOption(
      new Option('--api-key-file <file>', 'file holding the API key (keeps it out of shell history)')
        .env('TEMPORAL_API_KEY_FILE')
        .helpGroup('Temporal connection:'),
    )
    .addOption(new Option('--tls', 'use TLS with the system CAs (env TEMPORAL_TLS=true)').helpGroup('Temporal connection:'))
    .addOption(
      new Option('--tls-cert <file>', 'client certificate (PEM) for mTLS').env('TEMPORAL_TLS_CERT').helpGroup('Temporal connection:'),
    )
    .addOption(
      new Option('--tls-key <file>', 'client private key (PEM) for mTLS').env('TEMPORAL_TLS_KEY').helpGroup('Temporal connection:'),
    )
    .addOption(
      new Option('--tls-ca <file>', 'CA certificate (PEM) that signed the server').env('TEMPORAL_TLS_CA').helpGroup('Temporal connection:'),
    )
    .addOption(
      new Option('--tls-server-name <name>', 'server name to verify, when it differs from the address')
        .env('TEMPORAL_TLS_SERVER_NAME')
        .helpGroup('Temporal connection:'),
    );
}

/** Adds --task-queue (env SSMFLOW_TASK_QUEUE): where runs are sent for workers to pick up. */
export function addTaskQueueOption(command: Command): Command {
  return command.addOption(
    new Option('--task-queue <name>', 'task queue the workers poll')
      .env('SSMFLOW_TASK_QUEUE')
      .default(defaultTaskQueue)
      .helpGroup('Temporal connection:'),
  );
}
