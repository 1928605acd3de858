// Labels, starter code and default test events of the Actions triggers
// come from the server's trigger table (GET /api/v2/actions/triggers,
// internal/actions/triggers.go), so the dashboard keeps no copy. Until a
// page has read it (listActionTriggers), they fall back to the id and
// empty values.

import { loadedActionTriggers, type ActionTriggerInfo } from "./api";

function info(id: string): ActionTriggerInfo | undefined {
  return loadedActionTriggers().find((t) => t.id === id);
}

// triggerLabel names a trigger for people; an unknown one shows its id.
export function triggerLabel(id: string): string {
  return info(id)?.label || id;
}

// triggerRunsOn says which requests run a trigger's Actions.
export function triggerRunsOn(id: string): string {
  return info(id)?.runs_on ?? "";
}

// starterCode is what a new Action of that trigger starts with.
export function starterCode(id: string): string {
  return info(id)?.starter_code ?? "";
}

// defaultEvent is the test panel's event until the operator edits it.
export function defaultEvent(id: string): Record<string, unknown> {
  return info(id)?.default_event ?? {};
}
