import { type InstanceConfig, type PingStatus } from './config.js';
import { type FaultInjector } from './faults.js';

/**
 * The fleet's managed instances (from the config, plus those registered while it runs) and the
 * faults currently in force.
 */
export class FleetInstances {
  private current: readonly InstanceConfig[];
  private readonly byId: Map<string, { config: InstanceConfig; index: number }>;
  private readonly startedAt = Date.now();

  constructor(
    instances: readonly InstanceConfig[],
    private readonly faults: FaultInjector,
  ) {
    this.current = [...instances];
    this.byId = new Map(instances.map((config, index) => [config.id, { config, index }]));
  }

  /**
   * Every instance, in a stable order: a snapshot that never changes under its reader (a
   * registration swaps in a new array). New instances come last and a replaced one keeps its
   * place (and its IP address), so a listing paged while instances register stays in order.
   */
  get list(): readonly InstanceConfig[] {
    return this.current;
  }

  /** Adds instances, or replaces those with a known id (tags, ping status, faults). */
  upsert(instances: readonly InstanceConfig[]): void {
    const next = [...this.current];
    for (const config of instances) {
      const known = this.byId.get(config.id);
      if (known) {
        next[known.index] = config;
        this.byId.set(config.id, { config, index: known.index });
      } else {
        this.byId.set(config.id, { config, index: next.length });
        next.push(config);
      }
    }
    this.current = next;
  }

  get(id: string): InstanceConfig | undefined {
    return this.byId.get(id)?.config;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** ConnectionLost while the `offline` fault is on; otherwise the configured status. */
  pingStatus(id: string): PingStatus {
    const inst = this.byId.get(id);
    if (!inst) return 'Inactive';
    if (this.faults.forInstance(id).offline) return 'ConnectionLost';
    return inst.config.pingStatus;
  }

  /** The agent can take a command right now. */
  reachable(id: string): boolean {
    return this.pingStatus(id) === 'Online';
  }

  /** DescribeInstanceInformation's InstanceInformation shape. */
  describe(id: string): Record<string, unknown> {
    const inst = this.byId.get(id);
    if (!inst) return {};
    const { index } = inst;
    const ping = this.pingStatus(id);
    const ip = `10.${(index >> 16) & 255}.${(index >> 8) & 255}.${index & 255}`;
    const managed = id.startsWith('mi-');
    // Agents ping every 5 minutes; a lost one was last heard from before the fleet started.
    const lastPing = ping === 'Online' ? Date.now() - ((index * 7919) % 300_000) : this.startedAt - 3_600_000;
    return {
      InstanceId: id,
      PingStatus: ping,
      LastPingDateTime: lastPing / 1000,
      AgentVersion: '3.3.1142.0',
      IsLatestVersion: false,
      PlatformType: 'Linux',
      PlatformName: 'Amazon Linux',
      PlatformVersion: '2023',
      ResourceType: managed ? 'ManagedInstance' : 'EC2Instance',
      IPAddress: ip,
      ComputerName: `ip-${ip.replaceAll('.', '-')}.fleet.internal`,
      SourceId: id,
      SourceType: managed ? 'AWS::SSM::ManagedInstance' : 'AWS::EC2::Instance',
      ...(managed ? { RegistrationDate: this.startedAt / 1000, Name: id } : {}),
    };
  }
}
