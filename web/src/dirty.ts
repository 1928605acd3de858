// The unsaved-changes state of the hook editor, read by navigation so the
// operator is warned before leaving the page with changes.
let dirty = false;
export function setDirty(v: boolean) { dirty = v; }
export function isDirty() { return dirty; }
export function guardLeave(): boolean {
  if (!dirty) return true;
  if (window.confirm("You have unsaved changes. Leave without saving?")) {
    dirty = false;
    return true;
  }
  return false;
}
