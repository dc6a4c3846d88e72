// State of a rollout: one runbook across many clusters, in waves. Plain data, deterministic.
import type { ApprovalProgress } from './approval-policy.js';
import type { NotificationRecord } from './notifier.js';
import type { ClusterDiscoveryRequest } from '../aws/cluster-discovery.js';
import type { NormalizedRunbook } from '../runbook/types.js';
import type { RunOptions, RunStatus } from './run-state.js';

export type RolloutStatus = 'running' | 'waiting-approval' | 'halted' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** `ssmflow rollout pause`: no new cluster starts until resumed; runs already started go on. */
export interface RolloutPause {
  by: string;
  reason: string;
  at: string;
}

export interface ClusterProgress {
  cluster: string;
  /** 0-based wave index. */
  wave: number;
  status: 'pending' | 'running' | 'succeeded' | 'failed';
  runId?: string;
  /** How the cluster's run ended (rolled-back, failed, cancelled, …). */
  runStatus?: RunStatus;
  message?: string;
}

export interface RolloutAuditEntry {
  at: string;
  event:
    | 'started'
    | 'clusters-discovered'
    | 'wave-started'
    | 'wave-approved'
    | 'halted'
    | 'paused'
    | 'resumed'
    | 'continued-as-new'
    | 'finished';
  by: string;
  detail?: string;
}

/** How the clusters were found when the rollout discovered them by tag. */
export interface DiscoveryRecord extends ClusterDiscoveryRequest {
  at: string;
  clusters: number;
  instances: number;
}

export interface RolloutInput {
  runbook: NormalizedRunbook;
  /** The clusters, in order (the first ones form the canary) … */
  clusters?: string[];
  /** … or discover them when the rollout starts: one cluster per value of a tag, sorted by name. */
  discover?: ClusterDiscoveryRequest;
  /** The runbook parameter that receives each cluster's name. */
  clusterParameter?: string;
  /** Parameters shared by every cluster's run (validated per cluster when its run starts). */
  parameters: Record<string, string | number | boolean>;
  /** Cumulative wave sizes: counts or percentages, e.g. ['1', '10%', '50%', '100%']. */
  waves: string[];
  /** At most this many cluster runs at once. */
  maxInFlight: number;
  /** Failed clusters tolerated before the rollout halts: a count ("2") or a share ("5%"). */
  errorBudget: string;
  /** Wait for an operator between waves. */
  approvalBetweenWaves: boolean;
  initiator: string;
  reason?: string;
  output?: { bucket: string; keyPrefix: string };
  options?: RunOptions;
  /** Continue as new past this many history events (default: when the server suggests it). */
  historyEventLimit?: number;
  /** Progress carried over from the previous generation of this rollout (continue-as-new). */
  carried?: CarriedProgress;
}

export interface CarriedProgress {
  clusters: ClusterProgress[];
  waveEnds: number[];
  currentWave: number;
  approvedWaves: number;
  errorBudget: string;
  startedAt: string;
  generation: number;
  audit: RolloutAuditEntry[];
  discovery?: DiscoveryRecord;
  /** A pause in force when the rollout continued as new. */
  pause?: RolloutPause;
}

export interface RolloutState {
  rolloutId: string;
  runbook: string;
  initiator: string;
  status: RolloutStatus;
  startedAt: string;
  endedAt?: string;
  currentWave: number;
  waves: { index: number; end: number; size: number; pending: number; running: number; succeeded: number; failed: number }[];
  errorBudget: { spec: string; allowedFailures: number; failedClusters: number };
  maxInFlight: number;
  waitingFor?: {
    reason: 'wave-approval' | 'resume' | 'pause';
    since: string;
    message: string;
    /** A wave approval's policy (from the runbook) and the approvals given so far. */
    approval?: ApprovalProgress;
  };
  /** Set while the operator has paused the rollout (the status is `paused` once nothing else holds it). */
  pause?: RolloutPause;
  /** How many times the rollout continued as new to keep its history small. */
  generation: number;
  clusters: ClusterProgress[];
  /** The notifications this generation sent (wave approvals, the error budget spent). */
  notifications?: NotificationRecord[];
  audit: RolloutAuditEntry[];
  /** Set when the rollout finds its clusters by tag: `pending` until the discovery returns. */
  discovery?: DiscoveryRecord | (ClusterDiscoveryRequest & { pending: true });
}

/** The tag and filters a discovery used, as the audit trail and `rollout status` show them: `Cluster, Env=prod`. */
export function describeDiscovery(request: ClusterDiscoveryRequest): string {
  const filters = (request.tagFilters ?? []).map((f) => `${f.key}=${f.values.join('|') || '*'}`);
  return [request.tagKey, ...filters].join(', ');
}
