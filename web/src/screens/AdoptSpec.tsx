import { useMutation } from '@tanstack/react-query'
import { api, unwrap } from '../api/client'
import { useRepos } from '../api/queries'
import { useModal } from '../components/useModal'
import { DraftActions } from '../drafts/DraftActions'
import { useDraft } from '../drafts/useDraft'
import { useOpenCreatedTask } from './openCreatedTask'
import { Problem } from '../components/Problem'

/** The dialog's fields, kept as a draft (see drafts/) once a folder is typed. */
type AdoptDraft = { repo: string; folder: string; approve: boolean }
const NO_ADOPTION: AdoptDraft = { repo: '', folder: '', approve: false }

/**
 * Take up a spec a repository already keeps (a Kiro or cc-sdd `.kiro/specs/<name>/`, a spec-kit
 * `specs/NNN-name/`): its documents become the task's first version, unchanged, at spec review or
 * approved at once. What is typed is a draft kept until it is sent or discarded.
 */
export function AdoptSpec({ onClose }: { onClose: () => void }) {
  const ref = useModal(onClose)
  const repos = useRepos()
  const [draft, setDraft, discard] = useDraft('adopt', NO_ADOPTION, (d) => !d.folder.trim())
  const openCreated = useOpenCreatedTask(ref, discard)
  const { repo, folder, approve } = draft
  const chosen = repo || repos.data?.[0]?.path || ''
  const adopt = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST('/api/v1/spec-tasks/adopt', { body: { repo: chosen, folder: folder.trim(), approve } })),
    onSuccess: openCreated,
  })
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="adopt-title">
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault()
          adopt.mutate()
        }}
      >
        <h2 id="adopt-title">Adopt an existing spec</h2>
        <label>
          Repository
          <select required value={chosen} onChange={(e) => setDraft({ ...draft, repo: e.target.value })}>
            {(repos.data ?? []).map((r) => (
              <option key={r.id} value={r.path}>
                {r.path}
              </option>
            ))}
          </select>
        </label>
        <label>
          Spec folder
          <input
            required
            placeholder=".kiro/specs/user-auth"
            value={folder}
            onChange={(e) => setDraft({ ...draft, folder: e.target.value })}
            aria-describedby="adopt-folder-hint"
          />
        </label>
        <p id="adopt-folder-hint" className="hint">
          A folder on the default branch with requirements.md (or bugfix.md), design.md and tasks.md, or spec-kit&apos;s
          spec.md, plan.md and tasks.md. Its documents are kept byte for byte; ticked plan tasks stay done.
        </p>
        <label className="inline">
          <input type="checkbox" checked={approve} onChange={(e) => setDraft({ ...draft, approve: e.target.checked })} /> Approve it at once
          (implementation starts without a spec review)
        </label>
        {adopt.isError && <Problem error={adopt.error} />}
        <DraftActions draft={!!folder.trim()} onDiscard={discard} onClose={() => ref.current?.close()}>
          <button type="submit" className="primary" disabled={adopt.isPending || !folder.trim() || !chosen}>
            Adopt spec
          </button>
        </DraftActions>
      </form>
    </dialog>
  )
}
