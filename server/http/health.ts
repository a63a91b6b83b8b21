// The health registry: each subsystem reports its own state; GET /health sums them up.

/** A subsystem's state. `degraded` still serves, `down` does not. */
export interface SubsystemHealth {
  status: 'ok' | 'degraded' | 'down' | 'off';
  /** What a person should know: why it is degraded, what it serves. */
  detail?: string;
  [extra: string]: unknown;
}

export type HealthCheck = () => SubsystemHealth | Promise<SubsystemHealth>;

/** Collects one health check per subsystem. */
export class HealthRegistry {
  readonly #checks = new Map<string, HealthCheck>();

  /** Adds (or replaces) the check of a subsystem. */
  register(name: string, check: HealthCheck): void {
    this.#checks.set(name, check);
  }

  /** Runs every check; a check that throws or takes over `timeoutMs` reports `down`. */
  async report(
    timeoutMs = 2000,
  ): Promise<{ status: SubsystemHealth['status']; subsystems: Record<string, SubsystemHealth> }> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<SubsystemHealth>((resolve) => {
          timer = setTimeout(
            () => resolve({ status: 'down', detail: `no answer within ${timeoutMs} ms` }),
            timeoutMs,
          );
        });
        try {
          const health = await Promise.race([Promise.resolve().then(check), timeout]);
          return [name, health] as const;
        } catch (error) {
          return [
            name,
            { status: 'down', detail: error instanceof Error ? error.message : String(error) },
          ] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const subsystems = Object.fromEntries(entries) as Record<string, SubsystemHealth>;
    const states = Object.values(subsystems).map((health) => health.status);
    const status = states.includes('down') ? 'degraded' : states.includes('degraded') ? 'degraded' : 'ok';
    return { status, subsystems };
  }
}
