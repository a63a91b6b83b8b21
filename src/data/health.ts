// Reads the server's /health report.
import { fetchJson } from './errors';

export type SubsystemStatus = 'ok' | 'degraded' | 'down' | 'off';

export interface HealthReport {
  name: string;
  version: string;
  status: SubsystemStatus;
  subsystems: Record<string, { status: SubsystemStatus; detail?: string }>;
}

/** Fetches the server's health report. @throws ResponseError | NetworkError */
export function fetchHealth(serverUrl: string, signal?: AbortSignal): Promise<HealthReport> {
  return fetchJson<HealthReport>(`${serverUrl}/health`, { signal, timeoutMs: 5000 });
}
