// The task page's views (tabs) by the task's status, and what a phase change means for a person
// on the page: the view never switches by itself (not even when the task's new status would not
// offer it), a change that opens a new view is announced.
import type { SpecTaskStatus } from '../api/client'

export type TaskView = 'sessions' | 'spec' | 'review'

const ALL: TaskView[] = ['sessions', 'spec', 'review']

const IMPLEMENTING: SpecTaskStatus[] = ['spec_approved', 'implementation_queued', 'implementation', 'implementation_review', 'pull_request', 'done']
const REVIEWED: SpecTaskStatus[] = ['implementation_review', 'pull_request', 'done']

export const VIEW_LABEL: Record<TaskView, string> = {
  sessions: 'Sessions',
  spec: 'Specification',
  review: 'Implementation review',
}

/** Sessions once implementation started, the spec always, the implementation review at the end. */
export function viewsOf(status: SpecTaskStatus): TaskView[] {
  const views: TaskView[] = []
  if (IMPLEMENTING.includes(status)) views.push('sessions')
  views.push('spec')
  if (REVIEWED.includes(status)) views.push('review')
  return views
}

/** The view a page opened on a task in `status` shows first. */
export function firstView(status: SpecTaskStatus): TaskView {
  if (status === 'implementation_review') return 'review'
  return IMPLEMENTING.includes(status) ? 'sessions' : 'spec'
}

/**
 * The view shown: the one asked for (in the URL) if the task has it, else the one the page opened
 * on. `held`, the view shown until now, stays even when the task's status no longer offers it.
 */
export function shownView(status: SpecTaskStatus, asked: string | null, opened: TaskView, held?: TaskView): TaskView {
  const views = viewsOf(status)
  const want = ALL.find((v) => v === asked) ?? opened
  if (views.includes(want) || want === held) return want
  return views.includes(opened) || opened === held ? opened : views[0]
}

/** The tabs of a task in `status` whose page shows `shown`: its views, and the shown one among them. */
export function tabsOf(status: SpecTaskStatus, shown: TaskView): TaskView[] {
  const views = viewsOf(status)
  return ALL.filter((v) => views.includes(v) || v === shown)
}

/** The news of a phase change that opens a view a person would want to see, if any. */
export function phaseNews(status: SpecTaskStatus): { view: TaskView; text: string } | undefined {
  switch (status) {
    case 'implementation_review':
      return { view: 'review', text: 'Implementation review is ready' }
    case 'implementation':
      return { view: 'sessions', text: 'Implementation has started' }
    default:
      return undefined
  }
}
