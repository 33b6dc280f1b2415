import { useQuery } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { keys } from '../api/keys'
import { ofSession, ofTask } from './attention'

/**
 * What waits for whom across the person's tasks. Read once; the live stream's `attention` frames
 * replace it as it changes (stream.ts), so nothing polls.
 */
export function useAttention() {
  return useQuery({
    queryKey: keys.attention,
    queryFn: async () => unwrap(await api.GET('/api/v1/attention')),
  })
}

export function useTaskAttention(taskId: string) {
  return ofTask(useAttention().data, taskId)
}

export function useSessionAttention(sessionId: string) {
  return ofSession(useAttention().data, sessionId)
}
