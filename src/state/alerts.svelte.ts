// Operators' alert rules (kept in this browser), the alert log, and what is in alert right now.
import { getContext, setContext } from 'svelte';
import { AlertTracker, type AlertEvent, type AlertRule } from '../lib/alerts';
import type { LiveEntity } from '../data/live-stream';

const KEY = Symbol('plaza-alerts');
const STORAGE_KEY = 'plaza.alertRules';
/** The log keeps the newest entries only. */
const LOG_LIMIT = 200;

function loadRules(): AlertRule[] {
  try {
    const stored: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(stored)
      ? (stored as AlertRule[]).filter((rule) => rule && typeof rule.id === 'string')
      : [];
  } catch {
    return [];
  }
}

export class AlertStore {
  rules = $state<AlertRule[]>(loadRules());
  log = $state<AlertEvent[]>([]);
  /** Entities currently in alert. */
  activeEntities = $state<string[]>([]);
  /** Buildings linked to entities in alert (from /links). */
  activeBuildings = $state<string[]>([]);
  readonly #tracker = new AlertTracker();

  addRule(rule: Omit<AlertRule, 'id'>): void {
    this.rules = [...this.rules, { ...rule, id: `rule-${Date.now().toString(36)}-${this.rules.length}` }];
    this.#save();
  }

  removeRule(id: string): void {
    this.rules = this.rules.filter((rule) => rule.id !== id);
    this.#tracker.forget((ruleId) => ruleId === id);
    this.#save();
  }

  /**
   * Checks changed entities; new firings go to the top of the log.
   * @returns the new firings
   */
  check(entities: Iterable<LiveEntity>, removedIds: string[] = []): AlertEvent[] {
    if (removedIds.length) this.#tracker.forget((_, entityId) => removedIds.includes(entityId));
    const fired = this.rules.length ? this.#tracker.check(this.rules, entities, Date.now()) : [];
    if (fired.length) this.log = [...fired.reverse(), ...this.log].slice(0, LOG_LIMIT);
    const active = [...this.#tracker.activeEntities()].sort();
    if (active.join('\n') !== this.activeEntities.join('\n')) this.activeEntities = active;
    return fired;
  }

  #save(): void {
    try {
      localStorage.setItem(STORAGE_KEY, JSON.stringify(this.rules));
    } catch {
      // Storage can be unavailable; rules then last for this page only.
    }
  }
}

export function setAlertStore(): AlertStore {
  return setContext(KEY, new AlertStore());
}

export function getAlertStore(): AlertStore {
  const store = getContext<AlertStore | undefined>(KEY);
  if (!store) throw new Error('getAlertStore() used outside the app');
  return store;
}
