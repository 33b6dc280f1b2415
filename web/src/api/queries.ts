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

export function useAgents() {
  return useQuery({
    queryKey: keys.agents,
    queryFn: async () => unwrap(await api.GET('/api/v1/agents')),
  })
}
