// What a person typed and has not sent yet, kept in the browser's localStorage: it survives live
// updates, a closed dialog (Escape) and a reload, until it is sent or the person discards it.
// Pure storage helpers here; the React hook is in useDraft.ts.

const PREFIX = 'spectask:draft:'

/** The localStorage key of the draft under `key` (what a `storage` event from another tab names). */
export function storageKey(key: string): string {
  return PREFIX + key
}

/** The stored draft under `key`, over `empty` (a field the stored one lacks keeps its empty value). */
export function readDraft<T>(key: string, empty: T, storage: Storage | null = localStorageOrNone()): T {
  const raw = safely(() => storage?.getItem(PREFIX + key) ?? null)
  if (raw == null) return empty
  try {
    const value = JSON.parse(raw) as T
    return isRecord(empty) && isRecord(value) ? { ...empty, ...value } : value
  } catch {
    return empty
  }
}

/** Whether a draft is kept under `key`. */
export function hasDraft(key: string, storage: Storage | null = localStorageOrNone()): boolean {
  return safely(() => storage?.getItem(PREFIX + key) != null) ?? false
}

/** Keeps `value` under `key`; `undefined` forgets the draft. */
export function writeDraft<T>(key: string, value: T | undefined, storage: Storage | null = localStorageOrNone()): void {
  safely(() => (value === undefined ? storage?.removeItem(PREFIX + key) : storage?.setItem(PREFIX + key, JSON.stringify(value))))
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

// Storage can be missing (tests in node) or refuse (private mode, quota): drafts are then only kept
// while the page is open.
function localStorageOrNone(): Storage | null {
  return safely(() => globalThis.localStorage) ?? null
}

function safely<T>(f: () => T): T | undefined {
  try {
    return f()
  } catch {
    return undefined
  }
}
