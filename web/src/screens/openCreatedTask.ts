// What a dialog that makes a task does once the server made it: the person's draft goes, the board
// refetches, the dialog closes and the new task's page opens.
import type { RefObject } from 'react'
import { useNavigate } from 'react-router'
import { useQueryClient } from '@tanstack/react-query'
import { keys } from '../api/keys'

export function useOpenCreatedTask(dialog: RefObject<HTMLDialogElement | null>, discard: () => void) {
  const client = useQueryClient()
  const navigate = useNavigate()
  return (task: { id: string }) => {
    discard()
    void client.invalidateQueries({ queryKey: keys.tasks })
    dialog.current?.close()
    void navigate(`/tasks/${task.id}`)
  }
}
