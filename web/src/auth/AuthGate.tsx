import { useState, type ReactNode } from 'react'
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { ApiFailure, api, unwrap } from '../api/client'
import { Problem } from '../components/Problem'

const ME = ['auth', 'me'] as const

/**
 * Shows the app to a known caller: on a server without users (open, loopback) at once; on one
 * with users after logging in with an API token, which the server keeps in an HttpOnly cookie
 * (the page never stores it).
 */
export function AuthGate({ children }: { children: (me: { name: string; open: boolean }) => ReactNode }) {
  const me = useQuery({
    queryKey: ME,
    queryFn: async () => unwrap(await api.GET('/api/v1/auth/me')),
    retry: false,
  })
  if (me.isPending) return <p role="status">Connecting…</p>
  if (me.isError) {
    if (me.error instanceof ApiFailure && me.error.status === 401) return <Login />
    return <Problem error={me.error} doing="reach spectask" />
  }
  return <>{children(me.data)}</>
}

function Login() {
  const client = useQueryClient()
  const [token, setToken] = useState('')
  const login = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/v1/auth/login', { body: { token: token.trim() } })),
    onSuccess: (me) => {
      setToken('')
      client.setQueryData(ME, me)
    },
  })
  return (
    <main id="main" className="login">
      <form
        aria-labelledby="login-title"
        onSubmit={(e) => {
          e.preventDefault()
          login.mutate()
        }}
      >
        <h1 id="login-title">Log in to spectask</h1>
        <p className="hint">
          Paste an API token. An administrator creates one with <code>spectask token create --user NAME</code>.
        </p>
        <label>
          API token
          <input type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} />
        </label>
        {login.isError && <Problem error={login.error} />}
        <button type="submit" className="primary" disabled={login.isPending || !token.trim()}>
          Log in
        </button>
      </form>
    </main>
  )
}

/** The caller's name and, on a server with users, a way out. */
export function Account({ name, open }: { name: string; open: boolean }) {
  const logout = useMutation({
    mutationFn: async () => {
      await api.POST('/api/v1/auth/logout')
    },
    // A fresh page: nothing of the last user's data stays in memory.
    onSuccess: () => window.location.assign('/'),
  })
  if (open) return null
  return (
    <span className="account">
      {name}{' '}
      <button className="small" onClick={() => logout.mutate()} disabled={logout.isPending}>
        Log out
      </button>
    </span>
  )
}
