// Operators' threshold alerts: rules on a sensor type's value, fired when an entity crosses into the alert range.
import type { LiveEntity } from '../data/live-stream';

export type AlertComparison = 'above' | 'below' | 'equals';

export interface AlertRule {
  id: string;
  type: string;
  attribute: string;
  comparison: AlertComparison;
  /** Number for above/below; number or text for equals. */
  threshold: number | string;
}

/** One firing: which rule, which entity, the value that crossed, and when (ms since epoch). */
export interface AlertEvent {
  ruleId: string;
  entityId: string;
  value: number | string | boolean | null;
  time: number;
}

/** Whether an entity's current value is in a rule's alert range. */
export function matchesRule(rule: AlertRule, entity: LiveEntity): boolean {
  if (entity.type !== rule.type) return false;
  const value = entity.values[rule.attribute];
  switch (rule.comparison) {
    case 'above':
      return typeof value === 'number' && typeof rule.threshold === 'number' && value > rule.threshold;
    case 'below':
      return typeof value === 'number' && typeof rule.threshold === 'number' && value < rule.threshold;
    case 'equals':
      return value !== null && value !== undefined && String(value) === String(rule.threshold);
  }
}

/** A readable sentence for a rule, e.g. "AirQualityObserved no2 above 120". */
export function describeRule(rule: AlertRule): string {
  return `${rule.type} ${rule.attribute} ${rule.comparison === 'equals' ? 'is' : rule.comparison} ${rule.threshold}`;
}

/**
 * Tracks which (rule, entity) pairs are in alert and reports new firings: an alert fires when an entity enters the
 * alert range, not again while it stays there, and again after it has left and come back.
 */
export class AlertTracker {
  readonly #active = new Set<string>();

  /**
   * Checks entities against the rules.
   * @returns the alerts that fired now
   */
  check(rules: AlertRule[], entities: Iterable<LiveEntity>, now: number): AlertEvent[] {
    const fired: AlertEvent[] = [];
    for (const entity of entities) {
      for (const rule of rules) {
        const key = `${rule.id}\u0000${entity.id}`;
        if (matchesRule(rule, entity)) {
          if (!this.#active.has(key)) {
            this.#active.add(key);
            fired.push({
              ruleId: rule.id,
              entityId: entity.id,
              value: entity.values[rule.attribute] ?? null,
              time: now,
            });
          }
        } else {
          this.#active.delete(key);
        }
      }
    }
    return fired;
  }

  /** Forgets an entity (deleted) or a rule (removed) so that it can fire afresh. */
  forget(predicate: (ruleId: string, entityId: string) => boolean): void {
    for (const key of [...this.#active]) {
      const [ruleId, entityId] = key.split('\u0000');
      if (predicate(ruleId, entityId)) this.#active.delete(key);
    }
  }

  /** Entity ids currently in alert for any rule. */
  activeEntities(): Set<string> {
    return new Set([...this.#active].map((key) => key.split('\u0000')[1]));
  }
}
