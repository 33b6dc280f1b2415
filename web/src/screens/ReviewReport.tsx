import { useState } from 'react'
import { Link } from 'react-router'
import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api, unwrap, type Schemas, type SpecTask } from '../api/client'
import { keys } from '../api/keys'
import { useReviewReport } from '../api/queries'
import { Badge } from '../components/Badge'
import { Markdown } from '../components/Markdown'
import type { Tone } from '../components/tones'
import { Problem } from '../components/Problem'

type Finding = Schemas['FindingDto']
type FollowUpWorkflow = 'feature' | 'bugfix'

const SEVERITY_TONES: Record<string, Tone> = { high: 'bad', medium: 'warn', low: 'info', info: 'neutral' }

/**
 * A review task's page body: while its agent reviews, what it reviews; once done, the report from
 * the design-docs branch, each finding at its file:line, and one click to follow a finding (or a
 * selection) up as a feature or a bugfix task.
 */
export function ReviewReport({ task }: { task: SpecTask }) {
  const written = task.status === 'done'
  const report = useReviewReport(task.id, written)
  const [selected, setSelected] = useState<number[]>([])
  const client = useQueryClient()
  const followUp = useMutation({
    mutationFn: async ({ findings, workflow }: { findings: number[]; workflow: FollowUpWorkflow }) =>
      unwrap(
        await api.POST('/api/v1/spec-tasks/{id}/follow-ups', {
          params: { path: { id: task.id } },
          body: { findings, workflow },
        }),
      ),
    onSuccess: () => {
      setSelected([])
      void client.invalidateQueries({ queryKey: keys.tasks })
    },
  })
  if (!written) {
    return (
      <section aria-label="Review report" className="review-report">
        <p className="hint">
          {task.status === 'backlog' || task.status === 'spec_generation'
            ? `The agent reviews ${task.review_target ?? ''}; its findings show here once they are committed.`
            : 'This review wrote no report.'}
        </p>
      </section>
    )
  }
  if (report.isPending) return <p role="status">Loading the report…</p>
  if (report.isError) return <Problem error={report.error} doing="load the report" />
  const { findings, path, target } = report.data
  const toggle = (n: number) => setSelected((s) => (s.includes(n) ? s.filter((x) => x !== n) : [...s, n]))
  const follow = (findings: number[], workflow: FollowUpWorkflow) => followUp.mutate({ findings, workflow })
  return (
    <section aria-label="Review report" className="review-report">
      <h2>
        Review of <code>{target}</code>
      </h2>
      <p className="meta">
        {findings.length === 0 ? 'No findings.' : `${findings.length} finding${findings.length === 1 ? '' : 's'}`} ·{' '}
        <code>{path}</code> on the design-docs branch
      </p>
      {followUp.isError && <Problem error={followUp.error} />}
      {followUp.data && (
        <p role="status" className="follow-up-made">
          Follow-up task created:{' '}
          <Link to={`/tasks/${followUp.data.id}`}>
            {followUp.data.short_id} {followUp.data.title}
          </Link>{' '}
          ({followUp.data.workflow})
        </p>
      )}
      {selected.length > 1 && (
        <p className="actions">
          {selected.length} selected:{' '}
          {(['feature', 'bugfix'] as const).map((w) => (
            <button key={w} type="button" disabled={followUp.isPending} onClick={() => follow(selected, w)}>
              Follow up selected as {w}
            </button>
          ))}
        </p>
      )}
      <ol className="findings">
        {findings.map((f) => (
          <FindingItem
            key={f.number}
            finding={f}
            selected={selected.includes(f.number)}
            onToggle={() => toggle(f.number)}
            onFollowUp={(w) => follow([f.number], w)}
            busy={followUp.isPending}
          />
        ))}
      </ol>
    </section>
  )
}

function FindingItem(props: {
  finding: Finding
  selected: boolean
  onToggle: () => void
  onFollowUp: (workflow: FollowUpWorkflow) => void
  busy: boolean
}) {
  const f = props.finding
  const at = `${f.file}:${f.line}`
  return (
    <li className="finding" aria-label={`Finding ${f.number}: ${f.title}`}>
      <div className="toolbar">
        <label className="inline">
          <input type="checkbox" checked={props.selected} onChange={props.onToggle} aria-label={`Select finding ${f.number}`} />{' '}
          <strong>{f.title}</strong>
        </label>
        <Badge tone={SEVERITY_TONES[f.severity] ?? 'neutral'} className={`severity-${f.severity}`}>
          {f.severity}
        </Badge>
      </div>
      <p className="meta">
        <code data-testid="finding-location">{at}</code>
      </p>
      <Markdown text={f.detail} />
      <p className="actions">
        {(['feature', 'bugfix'] as const).map((w) => (
          <button key={w} type="button" disabled={props.busy} onClick={() => props.onFollowUp(w)}>
            Follow up as {w}
          </button>
        ))}
      </p>
    </li>
  )
}
