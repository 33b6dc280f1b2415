import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { ApiFailure } from './api/client'
import { BrowserRouter } from 'react-router'
import { App } from './App'
import { preloadMarkdown } from './components/Markdown'
import './styles.css'

// Server state is kept fresh by the live event stream (src/live), not by polling or refetching on
// focus: queries are refetched only when an event says their data changed.
const queryClient: QueryClient = new QueryClient({
  // A 401 anywhere means the login ended: ask who we are again, which shows the login form.
  queryCache: new QueryCache({
    onError: (error, query) => {
      const isMe = query.queryKey[0] === 'auth'
      if (!isMe && error instanceof ApiFailure && error.status === 401) {
        void queryClient.invalidateQueries({ queryKey: ['auth', 'me'] })
      }
    },
  }),
  defaultOptions: {
    queries: { staleTime: Infinity, refetchOnWindowFocus: false, retry: 1 },
  },
})

const root = document.getElementById('root')
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  )
}
// The Markdown renderer is a chunk of its own: fetched once the first screen is up.
setTimeout(preloadMarkdown, 0)
