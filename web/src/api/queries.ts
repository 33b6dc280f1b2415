// The queries screens share, one per resource, keyed by `keys` (which the live stream invalidates).
import { useQuery, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas } from './client'
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

/** The workflow templates a registered repository's tasks may follow (built-in and its own). */
export function useWorkflows(repositoryId: string | undefined) {
  return useQuery({
    queryKey: ['workflows', repositoryId],
    enabled: !!repositoryId,
    queryFn: async () =>
      unwrap(await api.GET('/api/v1/repos/{id}/workflows', { params: { path: { id: repositoryId ?? '' } } })),
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

/** A review task's report: 404 until its agent's findings are committed. */
export function useReviewReport(id: string, written: boolean) {
  return useQuery({
    queryKey: keys.taskPart(id, 'review-report'),
    enabled: written,
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/review-report', { params: { path: { id } } })),
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

/** The task's steering documents as its agents are given them; they change only with the repository. */
export function useSteering(id: string) {
  return useQuery({
    queryKey: keys.taskPart(id, 'steering'),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/steering', { params: { path: { id } } })),
    staleTime: 60_000,
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

/**
 * A session's whole history, read page by page after the server's cursor. What an entry says never
 * changes once recorded, and entries come in the order they were recorded, so a refetch (a live
 * `work_session.history` event) reads only those after the newest one held. (Whether an entry is on
 * the design-docs branch yet, which no screen shows, stays as first read.)
 */
export function useHistory(id: string) {
  const client = useQueryClient()
  const queryKey = keys.history(id)
  return useQuery({
    queryKey,
    queryFn: async () => {
      const path = '/api/v1/work-sessions/{id}/history' as const
      const held = client.getQueryData<Schemas['SessionHistoryDto']>(queryKey)
      const entries = [...(held?.entries ?? [])]
      let after = entries.at(-1)?.seq
      for (;;) {
        const query = after === undefined ? {} : { after }
        const page = unwrap(await api.GET(path, { params: { path: { id }, query } }))
        entries.push(...page.entries)
        if (page.next_after == null) return { ...page, entries }
        after = page.next_after
      }
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
