/** The demo's plain notice that its agents are scripted: shown only when the server runs `spectask demo`. */
import { useDemoRepos } from '../api/queries'

export function ScriptedNotice() {
  const demoRepos = useDemoRepos()
  if ((demoRepos.data ?? []).length === 0) return null
  return (
    <p className="notice" role="note" data-testid="scripted-notice">
      This is the demo: its agents are scripted. They follow a fixed script whatever the prompt or the review says.
    </p>
  )
}
