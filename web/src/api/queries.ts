// The queries screens share, one per resource, keyed by `keys` (which the live stream invalidates).
import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from './client'
import { keys } from './keys'

/** The board's tasks: the newest 500 (the API's largest page). */
export function useSpecTasks() {
  return useQuery({
    queryKey: keys.tasks,
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks', { params: { query: { limit: 500 } } })),
  })
}

export function useSpecTask(id: string) {
  return useQuery({
    queryKey: keys.task(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}', { params: { path: { id } } })),
  })
}

export function useRepos() {
  return useQuery({
    queryKey: keys.repos,
    queryFn: async () => unwrap(await api.GET('/api/v1/repos')),
  })
}

/** The demo's sample repositories (none unless the server is `spectask demo`); they never change. */
export function useDemoRepos() {
  return useQuery({
    queryKey: keys.demoRepos,
    queryFn: async () => unwrap(await api.GET('/api/v1/demo-repos')),
    staleTime: Infinity,
  })
}

export function useAgents() {
  return useQuery({
    queryKey: keys.agents,
    queryFn: async () => unwrap(await api.GET('/api/v1/agents')),
  })
}

export type SpecDocumentName = 'requirements' | 'design' | 'tasks'

export function useDocument(id: string, document: SpecDocumentName, version: number | undefined) {
  return useQuery({
    queryKey: [...keys.taskPart(id, 'document'), document, version ?? 'latest'],
    queryFn: async () =>
      unwrap(
        await api.GET('/api/v1/spec-tasks/{id}/documents/{document}', {
          params: { path: { id, document }, query: version === undefined ? {} : { version } },
        }),
      ),
    enabled: version === undefined || version > 0,
  })
}

export function useSpecVersions(id: string) {
  return useQuery({
    queryKey: keys.taskPart(id, 'versions'),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/spec-versions', { params: { path: { id } } })),
  })
}

export function useReviews(id: string) {
  return useQuery({
    queryKey: keys.taskPart(id, 'reviews'),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/reviews', { params: { path: { id } } })),
  })
}

export function useWorkSessions(id: string) {
  return useQuery({
    queryKey: keys.taskPart(id, 'sessions'),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/work-sessions', { params: { path: { id } } })),
  })
}

export function useOverview(id: string) {
  return useQuery({
    queryKey: keys.taskPart(id, 'overview'),
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/spec-tasks/{id}/multi-session-overview', { params: { path: { id } } })),
  })
}

export function useFleet() {
  return useQuery({
    queryKey: keys.fleet,
    queryFn: async () => unwrap(await api.GET('/api/v1/agents/fleet/live-progress')),
  })
}

export function useWorkSession(id: string, enabled = true) {
  return useQuery({
    queryKey: keys.session(id),
    queryFn: async () => unwrap(await api.GET('/api/v1/work-sessions/{id}', { params: { path: { id } } })),
    enabled,
  })
}

/** A session's whole history, read page by page after the server's cursor. */
export function useHistory(id: string) {
  return useQuery({
    queryKey: [...keys.session(id), 'history'],
    queryFn: async () => {
      const path = '/api/v1/work-sessions/{id}/history' as const
      let page = unwrap(await api.GET(path, { params: { path: { id } } }))
      const entries = [...page.entries]
      while (page.next_after != null) {
        const after = page.next_after
        page = unwrap(await api.GET(path, { params: { path: { id }, query: { after } } }))
        entries.push(...page.entries)
      }
      return { ...page, entries }
    },
  })
}

export function useApprovals() {
  return useQuery({
    queryKey: keys.approvals,
    queryFn: async () => unwrap(await api.GET('/api/v1/approvals')),
  })
}

export function useProgress(id: string) {
  return useQuery({
    queryKey: keys.taskPart(id, 'progress'),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/progress', { params: { path: { id } } })),
  })
}
