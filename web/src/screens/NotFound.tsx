import { Link } from 'react-router'

export function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        No page here. <Link to="/">Back to the board</Link>
      </p>
    </section>
  )
}
