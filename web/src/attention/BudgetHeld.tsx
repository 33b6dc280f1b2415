/** Where a session could be resumed: while a budget holds its task, no Resume (the server refuses
 * it) but what holds it and what to do, with the task's page a click away. */
import { Link } from 'react-router'
import { useTaskAttention } from './useAttention'
import type { AttentionItem } from './attention'

/** The budget that holds the task, when one does. */
export function useBudgetHold(taskId: string): AttentionItem | undefined {
  return useTaskAttention(taskId).find((a) => a.kind === 'budget')
}

export function BudgetHeld({ hold, taskId }: { hold: AttentionItem; taskId: string }) {
  return (
    <span className="budget-held" data-testid="budget-held">
      Paused by budget: {hold.action}{' '}
      <Link to={`/tasks/${taskId}`}>Open the task&apos;s budget</Link>
    </span>
  )
}
