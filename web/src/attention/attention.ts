// What waits for whom, as the server decides it (GET /api/v1/attention, and the event stream's
// `attention` frames): the dashboard only shows it. Pure helpers over the list, tested on their own.
import type { Schemas } from '../api/client'

export type AttentionItem = Schemas['AttentionDto']
export type AttentionList = Schemas['AttentionListDto']

/** The items of one task (its own and its sessions'), those that need a person first. */
export function ofTask(list: AttentionList | undefined, taskId: string): AttentionItem[] {
  return (list?.items ?? []).filter((a) => a.spec_task_id === taskId)
}

/** The items of one session. */
export function ofSession(list: AttentionList | undefined, sessionId: string): AttentionItem[] {
  return (list?.items ?? []).filter((a) => a.work_session_id === sessionId)
}

/** The first item that needs a person, else the first one. */
export function firstOf(items: AttentionItem[]): AttentionItem | undefined {
  return items.find((a) => a.needs_you) ?? items[0]
}

/** The items that need a person, in the server's order (longest waiting first). */
export function needingYou(list: AttentionList | undefined): AttentionItem[] {
  return (list?.items ?? []).filter((a) => a.needs_you)
}

/** A stable key of an item: what it is and whose. */
export function itemKey(a: Pick<AttentionItem, 'kind' | 'spec_task_id' | 'work_session_id' | 'approval_id'>): string {
  return [a.kind, a.spec_task_id, a.work_session_id ?? '', a.approval_id ?? ''].join(':')
}

/**
 * The item after the one at `path` (the page open now) among those that need a person, wrapping
 * round; the first one when the page is none of theirs.
 */
export function nextItem(list: AttentionList | undefined, path: string): AttentionItem | undefined {
  const items = needingYou(list)
  if (items.length === 0) return undefined
  const here = items.findIndex((a) => a.path === path)
  return items[(here + 1) % items.length]
}

/** The tab's title: the count of what needs a person first, when there is any. */
export function titleWith(count: number, base = 'spectask'): string {
  return count > 0 ? `(${count}) ${base}` : base
}

/** Items newly needing a person since `seen` (keys): what a browser notification tells. */
export function arrived(list: AttentionList | undefined, seen: Set<string>): AttentionItem[] {
  return needingYou(list).filter((a) => !seen.has(itemKey(a)))
}
