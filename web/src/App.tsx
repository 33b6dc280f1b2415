import { NavLink, Route, Routes } from 'react-router'
import { LiveBadge, LiveProvider } from './live/LiveProvider'
import { Board } from './screens/Board'
import { NotFound } from './screens/NotFound'
import { TaskPage } from './screens/TaskPage'

export function App() {
  return (
    <LiveProvider>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">spectask</span>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Board
          </NavLink>
        </nav>
        <LiveBadge />
      </header>
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<Board />} />
          <Route path="/tasks/:id" element={<TaskPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </LiveProvider>
  )
}
