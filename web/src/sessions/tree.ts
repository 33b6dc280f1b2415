// The session tree of the multi-session dashboard, laid out as rows: depth-first from the roots,
// children (sub-sessions and spawned ones) under their parent in creation order. Pure.
import type { WorkSession } from '../api/client'

export type TreeRow = {
  session: WorkSession
  depth: number
  /** Spawned by another session (an agent or a person asked for it), not made from the plan. */
  spawned: boolean
  /** Names of the sessions it waits for, when blocked. */
  waitingOn: string[]
  /** The editor whose thread it is (`zed`), when it was opened from one (`spectask acp`). */
  fromEditor?: string
}

export function sessionTree(sessions: WorkSession[]): TreeRow[] {
  const byId = new Map(sessions.map((s) => [s.id, s]))
  const parentOf = (s: WorkSession) => {
    const p = s.parent_id ?? s.spawned_by_id
    return p && byId.has(p) && p !== s.id ? p : undefined
  }
  const children = new Map<string | undefined, WorkSession[]>()
  for (const s of sessions) {
    const p = parentOf(s)
    children.set(p, [...(children.get(p) ?? []), s])
  }
  const rows: TreeRow[] = []
  const seen = new Set<string>()
  const visit = (s: WorkSession, depth: number) => {
    if (seen.has(s.id)) return
    seen.add(s.id)
    const waiting = s.state.status === 'blocked' ? s.state.waiting_on : []
    rows.push({
      session: s,
      depth,
      spawned: !!s.spawned_by_id,
      waitingOn: waiting.map((id) => byId.get(id)?.name ?? id.slice(0, 8)),
      fromEditor: s.opened_from_editor ?? undefined,
    })
    for (const c of children.get(s.id) ?? []) visit(c, depth + 1)
  }
  for (const root of children.get(undefined) ?? []) visit(root, 0)
  // A cycle of parents has no root: show those sessions too, at the top level.
  for (const s of sessions) visit(s, 0)
  return rows
}
