// Where a session's pending permission requests show in its transcript: each under the activity
// line that recorded the question ("permission asked: TITLE"), the newest such line; a request
// whose line is not in the transcript yet goes at its end.
import type { Schemas } from '../api/client'

type Entry = Pick<Schemas['HistoryEntryDto'], 'seq' | 'file' | 'content'>
type Approval = Schemas['ApprovalDto']

/** What a request is about, as its activity line names it. */
export function askedTitle(approval: Approval): string {
  return approval.tool_call.title ?? 'a tool call'
}

/** The requests placed by the seq of their entry, and those with no entry to go under. */
export function placeApprovals(entries: Entry[], approvals: Approval[]): { under: Map<number, Approval[]>; after: Approval[] } {
  const under = new Map<number, Approval[]>()
  const after: Approval[] = []
  for (const approval of approvals) {
    const line = `permission asked: ${askedTitle(approval)}`
    const entry = [...entries].reverse().find((e) => e.file === 'activity_log' && e.content.trimEnd().endsWith(line))
    if (entry) under.set(entry.seq, [...(under.get(entry.seq) ?? []), approval])
    else after.push(approval)
  }
  return { under, after }
}
