import { NavLink, Route, Routes } from 'react-router'
import { Radar, SquareKanban, Workflow } from 'lucide-react'
import { Account, AuthGate } from './auth/AuthGate'
import { NeedsYouLink } from './attention/NeedsYou'
import { LiveBadge, LiveProvider } from './live/LiveProvider'
import { NotificationsMenu } from './notify/NotificationsMenu'
import { Shortcuts } from './keys/Shortcuts'
import { Board } from './screens/Board'
import { DesignDocs } from './screens/DesignDocs'
import { Fleet } from './screens/Fleet'
import { Inbox } from './screens/Inbox'
import { NotFound } from './screens/NotFound'
import { SessionView } from './screens/SessionView'
import { TaskPage } from './screens/TaskPage'

export function App() {
  return (
    <AuthGate>
      {(me) => (
        <LiveProvider me={me}>
          <a className="skip" href="#main">
            Skip to content
          </a>
          <header className="top">
            <span className="brand">
              <Workflow className="icon" size={18} aria-hidden="true" /> spectask
            </span>
            <nav aria-label="Main">
              <NavLink to="/" end>
                <SquareKanban className="icon" size={16} aria-hidden="true" /> Board
              </NavLink>
              <NavLink to="/fleet">
                <Radar className="icon" size={16} aria-hidden="true" /> Fleet
              </NavLink>
              <NeedsYouLink />
            </nav>
            <Shortcuts />
            <LiveBadge />
            <NotificationsMenu />
            <Account name={me.name} open={me.open} />
          </header>
          <main id="main" tabIndex={-1}>
            <Routes>
              <Route path="/" element={<Board />} />
              <Route path="/tasks/:id" element={<TaskPage />} />
              <Route path="/tasks/:id/design-docs" element={<DesignDocs />} />
              <Route path="/sessions/:id" element={<SessionView />} />
              <Route path="/fleet" element={<Fleet />} />
              <Route path="/inbox" element={<Inbox />} />
              <Route path="*" element={<NotFound />} />
            </Routes>
          </main>
        </LiveProvider>
      )}
    </AuthGate>
  )
}
