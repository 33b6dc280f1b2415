import { useEffect, useState, type ReactNode } from 'react'
import { useMutation } from '@tanstack/react-query'
import { api, unwrap, type Agent, type Schemas } from '../api/client'
import { useAgents, useDemoRepos, useRepos, useSpecTasks, useWorkflows } from '../api/queries'
import { BudgetFields } from '../components/BudgetFields'
import { ScriptedNotice } from '../components/ScriptedNotice'
import { NO_BUDGET, budgetBody, budgetErrors, hasErrors, type BudgetInput } from '../budgetInput'
import { useModal } from '../components/useModal'
import { Warning } from '../components/icons'
import { DraftActions } from '../drafts/DraftActions'
import { useDraft } from '../drafts/useDraft'
import { useOpenCreatedTask } from './openCreatedTask'
import { useActionKey } from '../api/actionKey'
import { Problem } from '../components/Problem'
import { MultiSelect } from '../components/Select'

type Priority = Schemas['Priority']
type DemoRepo = Schemas['DemoRepoDto']

/** Statuses of tasks that will not be done: nothing can wait for them. */
const ENDED: Schemas['SpecTaskStatus'][] = ['failed', 'rejected', 'cancelled', 'done']
type Kind = Schemas['TaskKind']
type Complexity = Schemas['Complexity']

/** The expected complexity choices, with what each means for the implementation. */
const COMPLEXITIES: { value: Complexity; label: string; hint: string }[] = [
  { value: 'simple', label: 'Simple', hint: 'one session implements the whole plan' },
  { value: 'complex', label: 'Complex', hint: 'one session per plan task, in parallel where the plan allows' },
]

/** The value of the repository choice naming a demo repository. */
const DEMO = 'demo:'

/** The dialog's fields, kept as a draft (see drafts/) once a task description is typed. */
type CreateDraft = {
  prompt: string
  repo: string
  kind: Kind
  complexity: Complexity
  planning: string
  implementation: string
  priority: Priority
  /** Tasks the new one waits for (ids). */
  after: string[]
  holdBefore: 'implementation' | 'planning'
  /** Limits typed for the task's budget (empty: the server's default). */
  budget: BudgetInput
  /** The workflow template the spec follows (empty: feature). */
  workflow?: string
  /** What a review task reviews: a branch, or a commit range A..B. */
  target?: string
}
const NO_TASK: CreateDraft = {
  prompt: '',
  repo: '',
  kind: 'spec',
  complexity: 'complex',
  planning: '',
  implementation: '',
  priority: 'normal',
  after: [],
  holdBefore: 'implementation',
  budget: NO_BUDGET,
}

/**
 * The Create SpecTask dialog: prompt, repository (a registered one, or one of the demo's sample
 * repositories, planned and implemented by its scripted agents), kind, expected complexity, agents
 * with their availability, priority.
 */
export function CreateTask({ onClose }: { onClose: () => void }) {
  const ref = useModal(onClose)
  const repos = useRepos()
  const demoRepos = useDemoRepos()
  const agents = useAgents()
  const [draft, setDraft, discard] = useDraft('create', NO_TASK, (d) => !d.prompt.trim())
  const openCreated = useOpenCreatedTask(ref, discard)
  const { prompt, repo, kind, complexity, planning, implementation, priority } = draft
  // A draft kept before these fields existed has none.
  const after = draft.after ?? []
  const holdBefore = draft.holdBefore ?? 'implementation'
  const budget = draft.budget ?? NO_BUDGET
  const budgetProblems = budgetErrors(budget)
  // Open from the start when the draft has a budget; afterwards the person opens and closes it.
  const [budgetShown] = useState(() => budgetBody(budget) !== undefined)
  const tasks = useSpecTasks()
  const open = (tasks.data?.items ?? []).filter((t) => !ENDED.includes(t.status))
  const edit = (change: Partial<CreateDraft>) => setDraft({ ...draft, ...change })
  const setPrompt = (v: string) => edit({ prompt: v })
  const setRepo = (v: string) => edit({ repo: v })
  const setPlanning = (v: string) => edit({ planning: v })
  const setImplementation = (v: string) => edit({ implementation: v })

  // The first repository once the lists load, unless the person (or their draft) chose one.
  useEffect(() => {
    if (repo) return
    if (demoRepos.data?.[0]) setRepo(DEMO + demoRepos.data[0].name)
    else if (repos.data?.[0]) setRepo(repos.data[0].path)
  }, [repo, repos.data, demoRepos.data])
  const chosen = COMPLEXITIES.find((c) => c.value === complexity) ?? COMPLEXITIES[1]
  // A demo sample's repository is listed once, as its demo entry (a draft may name it by its path).
  const demo = demoRepos.data?.find((d) => DEMO + d.name === repo || d.path === repo)
  const repoValue = demo ? DEMO + demo.name : repo
  const demoPaths = new Set((demoRepos.data ?? []).map((d) => d.path))
  const registeredRepos = (repos.data ?? []).filter((r) => !demoPaths.has(r.path))
  const registered = repos.data?.find((r) => r.path === (demo ? demo.path : repo))
  const workflows = useWorkflows(registered?.id)
  const offered = demo
    ? demo.workflows.map(
        (name): Schemas['WorkflowDto'] =>
          workflows.data?.workflows.find((w) => w.name === name) ?? { name, description: '', builtin: true, base: name, requirements_file: '' },
      )
    : (workflows.data?.workflows ?? [])
  const workflow = draft.workflow && (!demo || demo.workflows.includes(draft.workflow)) ? draft.workflow : (demo?.workflow ?? 'feature')
  const reviewing = !demo && kind === 'spec' && workflow === 'review'
  const target = draft.target ?? ''
  const chooseDemo = (name: string, w: string) => edit({ repo: DEMO + name, workflow: w })

  // One creation, however often it is sent: a resend after a lost answer gets the task made.
  const action = useActionKey()
  const create = useMutation({
    mutationFn: async () => {
      if (demo) {
        const body = {
          demo_repo: demo.name,
          prompt,
          priority,
          complexity,
          depends_on: after,
          hold_before: holdBefore,
          budget: budgetBody(budget),
          workflow,
          planning_agent: planning || null,
          implementation_agent: implementation || null,
        }
        return unwrap(await api.POST('/api/v1/spec-tasks/from-demo', { body, headers: action.headers(body) }))
      }
      const body = {
        prompt,
        repo,
        kind,
        complexity: kind === 'spec' ? complexity : null,
        priority,
        planning_agent: planning || null,
        implementation_agent: implementation || null,
        depends_on: after,
        hold_before: holdBefore,
        budget: budgetBody(budget),
        workflow: kind === 'spec' ? workflow : null,
        review_target: reviewing ? target.trim() : null,
      }
      return unwrap(await api.POST('/api/v1/spec-tasks/from-prompt', { body, headers: action.headers(body) }))
    },
    onSettled: (_data, error) => action.settled(error),
    onSuccess: openCreated,
  })

  return (
    <dialog ref={ref} className="dialog" aria-labelledby="create-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault()
          create.mutate()
        }}
      >
        <h2 id="create-title">Create SpecTask</h2>
        <ScriptedNotice />
        <label>
          Task description
          <textarea required rows={4} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        </label>
        <label>
          Repository
          <select required value={repoValue} onChange={(e) => setRepo(e.target.value)}>
            {(demoRepos.data ?? []).length > 0 && (
              <optgroup label="Demo repositories">
                {(demoRepos.data ?? []).map((d) => (
                  <option key={d.name} value={DEMO + d.name}>
                    {d.name} (demo: {d.stack})
                  </option>
                ))}
              </optgroup>
            )}
            <optgroup label="Registered repositories">
              {registeredRepos.map((r) => (
                <option key={r.id} value={r.path}>
                  {r.path}
                </option>
              ))}
            </optgroup>
          </select>
        </label>
        {demo && (
          <p className="hint" data-testid="demo-hint">
            {demo.name}: {demo.description}.{' '}
            {workflow === 'review' && demo.review_target
              ? `Its scripted agent reviews the branch ${demo.review_target} offline: findings at file and line, no code change.`
              : `Its scripted agents plan and implement the sample's demo change offline${demo.tests ? `, and its own tests (${demo.tests}) keep passing` : ''}.`}{' '}
            {prompt.trim() !== demo.prompt && (
              <button type="button" className="link" onClick={() => setPrompt(demo.prompt)}>
                Use the demo prompt
              </button>
            )}
          </p>
        )}
        <div className="field-row">
          <fieldset disabled={!!demo}>
            <legend>Kind</legend>
            {(['spec', 'interactive', 'coding_session'] as Kind[]).map((k) => (
              <label key={k} className="inline">
                <input type="radio" name="kind" value={k} checked={kind === k} onChange={() => edit({ kind: k })} /> {k.replace('_', ' ')}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Priority</legend>
            {(['low', 'normal', 'high', 'urgent'] as Priority[]).map((p) => (
              <label key={p} className="inline">
                <input type="radio" name="priority" value={p} checked={priority === p} onChange={() => edit({ priority: p })} /> {p}
              </label>
            ))}
          </fieldset>
        </div>
        <fieldset disabled={!demo && kind !== 'spec'} aria-describedby="complexity-hint">
          <legend>Expected complexity</legend>
          {COMPLEXITIES.map((c) => (
            <label key={c.value} className="inline">
              <input
                type="radio"
                name="complexity"
                value={c.value}
                checked={complexity === c.value}
                onChange={() => edit({ complexity: c.value })}
              />{' '}
              {c.label}
            </label>
          ))}
          <p id="complexity-hint" className="hint">
            {kind === 'spec' || demo ? `${chosen.label}: ${chosen.hint}.` : 'Only a spec task has a plan to implement.'}
          </p>
        </fieldset>
        {(demo || kind === 'spec') && (
          <WorkflowSelect
            value={workflow}
            onChange={(w) => edit({ workflow: w })}
            workflows={offered}
            faults={demo ? [] : (workflows.data?.faults ?? [])}
          >
            {demo && <DemoWorkflows demo={demo} all={demoRepos.data ?? []} choose={chooseDemo} />}
          </WorkflowSelect>
        )}
        {reviewing && (
          <div className="field">
            <label htmlFor="review-target">Review target</label>
            <input
              id="review-target"
              required
              value={target}
              placeholder="feature/login or main..feature/login"
              onChange={(e) => edit({ target: e.target.value })}
              aria-describedby="review-target-hint"
            />
            <p id="review-target-hint" className="hint">
              A branch (reviewed from where it left the default branch) or a commit range A..B. The agent writes findings
              with file and line; no code changes and nothing is merged.
            </p>
          </div>
        )}
        <AgentSelect
          label="Planning agent"
          value={planning}
          onChange={setPlanning}
          agents={agents.data ?? []}
          fallback={demo ? `${demo.planning_agent}, this sample's scripted planner` : undefined}
        />
        <AgentSelect
          label="Implementation agent"
          value={implementation}
          onChange={setImplementation}
          agents={agents.data ?? []}
          fallback={demo ? `${demo.implementation_agent}, this sample's scripted coder` : undefined}
        />
        {open.length > 0 && (
          <fieldset>
            <legend>Wait for</legend>
            <MultiSelect
              label="Tasks that must be done first"
              values={after}
              onChange={(values) => edit({ after: values })}
              describedBy="after-hint"
              options={open.map((t) => ({ value: t.id, label: `${t.short_id} ${t.title} (${t.status.replaceAll('_', ' ')})` }))}
            />
            {after.length > 0 &&
              (['implementation', 'planning'] as const).map((phase) => (
                <label key={phase} className="inline">
                  <input
                    type="radio"
                    name="hold-before"
                    value={phase}
                    checked={holdBefore === phase}
                    onChange={() => edit({ holdBefore: phase })}
                  />{' '}
                  hold {phase}
                </label>
              ))}
            <p id="after-hint" className="hint">
              {after.length === 0
                ? 'Optional: the new task starts once every task chosen here is done.'
                : holdBefore === 'implementation'
                  ? 'It is planned meanwhile; its implementation waits until they are done.'
                  : 'Nothing starts, not even its planning, until they are done.'}
            </p>
          </fieldset>
        )}
        <details
          className="disclosure budget-disclosure"
          open={budgetShown}
          onToggle={(e) => e.currentTarget.open && e.currentTarget.scrollIntoView({ block: 'nearest' })}
        >
          <summary>Budget</summary>
          <p className="hint">
            Optional: the task pauses once it has used this many tokens or this much money, until you raise it. Empty: the
            server&apos;s default budget.
          </p>
          <BudgetFields value={budget} errors={budgetProblems} onChange={(b) => edit({ budget: b })} />
        </details>
        <p className="hint">
          The planning agent writes a spec (requirements, design, tasks) for your review; once approved, coding agents
          implement the plan in parallel sessions.
        </p>
        {create.isError && <Problem error={create.error} />}
        <DraftActions draft={!!prompt.trim()} onDiscard={discard} onClose={() => ref.current?.close()}>
          <button type="submit" className="primary" disabled={create.isPending || !prompt.trim() || !repo || (reviewing && !target.trim()) || hasErrors(budgetProblems)}>
            Create SpecTask
          </button>
        </DraftActions>
      </form>
    </dialog>
  )
}

/** The workflow template: feature, design-first, bugfix or the repository's own, with what each is. */
function WorkflowSelect(props: {
  value: string
  onChange: (v: string) => void
  workflows: Schemas['WorkflowDto'][]
  faults: string[]
  children?: ReactNode
}) {
  const known = props.workflows.length > 0 ? props.workflows : [{ name: 'feature', description: '', builtin: true }]
  const chosen = props.workflows.find((w) => w.name === props.value)
  return (
    <div className="field">
      <label htmlFor="workflow">Workflow</label>
      <select id="workflow" value={props.value} onChange={(e) => props.onChange(e.target.value)} aria-describedby="workflow-hint">
        {known.map((w) => (
          <option key={w.name} value={w.name}>
            {w.name}
            {w.builtin ? '' : ' (this repository)'}
          </option>
        ))}
      </select>
      <p id="workflow-hint" className="hint">
        {chosen?.description}
        {props.faults.map((f) => (
          <Warning key={f}>{f}</Warning>
        ))}
      </p>
      {props.children}
    </div>
  )
}

/**
 * Under a demo sample's workflow choice: the workflows its scripted agents do not follow, each with
 * the samples whose agents do, one click away (the repository and workflow chosen together).
 */
function DemoWorkflows(props: { demo: DemoRepo; all: DemoRepo[]; choose: (sample: string, workflow: string) => void }) {
  const elsewhere = [...new Set(props.all.flatMap((d) => d.workflows))].filter((w) => !props.demo.workflows.includes(w))
  if (elsewhere.length === 0) return null
  return (
    <p className="hint" data-testid="demo-workflows">
      {props.demo.name}&apos;s scripted agents follow {props.demo.workflows.join(' or ')}.{' '}
      {elsewhere.map((w, i) => (
        <span key={w}>
          {i > 0 && '; '}
          {w} in the demo:{' '}
          {props.all
            .filter((d) => d.workflows.includes(w))
            .map((d) => (
              <button key={d.name} type="button" className="link" onClick={() => props.choose(d.name, w)}>
                {d.name}
              </button>
            ))}
        </span>
      ))}
      .
    </p>
  )
}

function AgentSelect(props: {
  label: string
  value: string
  onChange: (v: string) => void
  agents: Agent[]
  /** What the server uses when none is chosen, when it is known (a demo sample's agent). */
  fallback?: string
}) {
  const chosen = props.agents.find((a) => a.name === props.value)
  const id = `agent-${props.label.replace(/\s/g, '-').toLowerCase()}`
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)} aria-describedby={`${id}-why`}>
        <option value="">{props.fallback ? `Default: ${props.fallback}` : 'Default of the server'}</option>
        {props.agents.map((a) => (
          <option key={a.name} value={a.name}>
            {a.name} — {availability(a)}
          </option>
        ))}
      </select>
      <p id={`${id}-why`} className="hint">
        {chosen && !chosen.available ? advice(chosen) : ''}
        {chosen?.warnings.map((w) => (
          <Warning key={w}>{w}</Warning>
        ))}
      </p>
    </div>
  )
}

function availability(a: Agent): string {
  if (a.available) return 'available'
  if (!a.command_found) return 'command missing'
  if (a.credentials_present === false) return 'credentials missing'
  return 'unavailable'
}

function advice(a: Agent): string {
  const parts = [] as string[]
  if (!a.command_found) parts.push(`${a.command ?? a.name} is not on PATH.`)
  if (a.credentials_present === false && a.credentials_advice) parts.push(a.credentials_advice)
  if (a.requires) parts.push(`Needs ${a.requires}.`)
  return parts.join(' ')
}
