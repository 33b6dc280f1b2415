import { useState } from 'react'
import { useSearchParams } from 'react-router'
import type { SpecTask } from '../api/client'
import { onTabListKey } from '../components/tabKeys'
import { ImplementationReview } from './ImplementationReview'
import { SessionsDashboard } from './SessionsDashboard'
import { SpecReview } from './SpecReview'
import { VIEW_LABEL, firstView, phaseNews, shownView, tabsOf, type TaskView } from './taskViews'

/**
 * The task's views as tabs, the chosen one in the URL (`?tab=`). A live phase change never
 * switches the view (a dialog or a draft in it would be lost), even to leave a view the new status
 * does not offer: it is announced with a way to open the view it made ready.
 */
export function TaskTabs({ task }: { task: SpecTask }) {
  const [params, setParams] = useSearchParams()
  const [opened] = useState(() => firstView(task.status))
  // The status the person last chose a view in: a newer one is news.
  const [seen, setSeen] = useState(task.status)
  // The view shown at the last render, kept through a status that does not offer it.
  const [held, setHeld] = useState<TaskView>(opened)
  const tab = shownView(task.status, params.get('tab'), opened, held)
  if (tab !== held) setHeld(tab)
  const choose = (view: TaskView) => {
    setSeen(task.status)
    setParams(
      (p) => {
        p.set('tab', view)
        return p
      },
      { replace: true },
    )
  }
  const news = task.status !== seen ? phaseNews(task.status) : undefined
  return (
    <>
      <div role="status" aria-live="polite" className="phase-news-slot">
        {news && news.view !== tab && (
          <p className="phase-news">
            {news.text} —{' '}
            <button type="button" className="link" onClick={() => choose(news.view)}>
              open it
            </button>{' '}
            <button type="button" className="link" onClick={() => setSeen(task.status)}>
              dismiss
            </button>
          </p>
        )}
      </div>
      <div role="tablist" aria-label="Task views" onKeyDown={onTabListKey} className="tabs">
        {tabsOf(task.status, tab).map((view) => (
          <button
            key={view}
            role="tab"
            id={`tab-${view}`}
            aria-selected={tab === view}
            tabIndex={tab === view ? 0 : -1}
            aria-controls="task-panel"
            onClick={() => choose(view)}
          >
            {VIEW_LABEL[view]}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="task-panel" aria-labelledby={`tab-${tab}`}>
        {tab === 'sessions' && <SessionsDashboard task={task} />}
        {tab === 'spec' && <SpecReview task={task} />}
        {tab === 'review' && <ImplementationReview task={task} />}
      </div>
    </>
  )
}
