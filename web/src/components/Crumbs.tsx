import { Link } from 'react-router'
import { shownTitle } from '../titles'

type TaskNamed = { id: string; short_id: string; title: string; prompt: string }

/**
 * Where a page sits: Board / the task, by its id and title (cut with an ellipsis when the line is
 * too short for it) / `here`, the page inside the task. Without `here` the task is the page.
 */
export function Crumbs({ taskId, task, here }: { taskId: string; task?: TaskNamed; here?: string }) {
  const name = task ? `${task.short_id} ${shownTitle(task)}` : 'task'
  return (
    <nav className="crumbs" aria-label="Breadcrumbs">
      <Link to="/">Board</Link>
      <span aria-hidden="true">/</span>
      {here === undefined ? (
        <span className="crumb" aria-current="page" title={name}>
          {name}
        </span>
      ) : (
        <>
          <Link className="crumb" to={`/tasks/${taskId}`} title={name}>
            {name}
          </Link>
          <span aria-hidden="true">/</span>
          <span className="crumb" aria-current="page" title={here}>
            {here}
          </span>
        </>
      )}
    </nav>
  )
}
