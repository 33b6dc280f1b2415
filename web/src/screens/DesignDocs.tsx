import { useState } from 'react'
import { useParams } from 'react-router'
import { useQuery } from '@tanstack/react-query'
import { api, unwrap, type Schemas } from '../api/client'
import { keys } from '../api/keys'
import { useSpecTask, useWorkSessions } from '../api/queries'
import { Crumbs } from '../components/Crumbs'
import { Markdown } from '../components/Markdown'
import { shortCommit } from '../review/review'
import { Problem } from '../components/Problem'

type DocFile = Schemas['DesignDocFileDto']

/** "View specs in git": the task's files on the design-docs branch, each with its path, read at one
 * commit; a file's text is shown here (markdown rendered or as it is written). */
export function DesignDocs() {
  const { id = '' } = useParams()
  const task = useSpecTask(id)
  const docs = useQuery({
    queryKey: keys.taskPart(id, 'design-docs-files'),
    queryFn: async () => unwrap(await api.GET('/api/v1/spec-tasks/{id}/design-docs/files', { params: { path: { id } } })),
  })
  const sessions = useWorkSessions(id)
  const [picked, setPicked] = useState<string | undefined>(undefined)
  const [raw, setRaw] = useState(false)
  if (docs.isPending || task.isPending) return <p role="status">Loading the design docs…</p>
  if (docs.isError) return <Problem error={docs.error} doing="read the design-docs branch" />
  if (task.isError) return <Problem error={task.error} doing="load the task" />
  const d = docs.data
  const file = d.files.find((f) => f.path === picked) ?? d.files[0]
  return (
    <article aria-labelledby="docs-title">
      <Crumbs taskId={id} task={task.data} here="specs in git" />
      <h1 id="docs-title">Specs in git: {task.data.title}</h1>
      <p className="meta" data-testid="docs-commit">
        Branch <code>{d.branch}</code>
        {d.commit ? (
          <>
            {' '}
            at <code title={d.commit}>{shortCommit(d.commit)}</code>
          </>
        ) : (
          ' has no commit yet'
        )}
        <a className="button small" href={`/api/v1/spec-tasks/${id}/download-documents`}>
          Download specs/ as .tar.gz
        </a>
      </p>
      {d.files.length === 0 ? (
        <p className="hint">Nothing of this task is on the design-docs branch yet.</p>
      ) : (
        <div className="review">
          <nav className="review-side" aria-label="Files on the design-docs branch">
            {groups(d.files).map(([dir, inDir]) => (
              <section key={dir} aria-label={dir}>
                <h2 className="doc-dir" title={`${dir}/`}>
                  <FolderName dir={dir} sessions={sessions.data ?? []} />
                </h2>
                <ul className="plain doc-files">
                  {inDir.map((f) => (
                    <li key={f.path}>
                      <button
                        className={f.path === file?.path ? 'tab selected' : 'tab'}
                        aria-current={f.path === file?.path ? 'true' : undefined}
                        onClick={() => setPicked(f.path)}
                      >
                        {f.path.slice(dir.length + 1)}
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            ))}
          </nav>
          {file && <FileView file={file} commit={d.commit} raw={raw} onRaw={setRaw} />}
        </div>
      )}
    </article>
  )
}

/** The files by their folder: the task's (`specs/<handle>`, `sessions/<handle>`), or a session's
 * own (`sessions/<handle>/<session id>`), in the order given. */
export function groups(files: Pick<DocFile, 'path'>[]): [string, Pick<DocFile, 'path'>[]][] {
  const out = new Map<string, Pick<DocFile, 'path'>[]>()
  for (const f of files) {
    const parts = f.path.split('/')
    const depth = parts[0] === 'sessions' && UUID.test(parts[2] ?? '') ? 3 : 2
    const dir = parts.slice(0, depth).join('/')
    out.set(dir, [...(out.get(dir) ?? []), f])
  }
  return [...out]
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A session's folder by the session's name (its id on hover); a task's folder by its path. */
function FolderName({ dir, sessions }: { dir: string; sessions: { id: string; name: string }[] }) {
  const id = dir.split('/')[2]
  const session = id ? sessions.find((s) => s.id === id) : undefined
  if (!id) return <code>{dir}/</code>
  return <span className="doc-session">Session: {session?.name ?? id.slice(0, 8)}</span>
}

function FileView({ file, commit, raw, onRaw }: { file: DocFile; commit?: string | null; raw: boolean; onRaw: (raw: boolean) => void }) {
  const markdown = file.path.endsWith('.md')
  return (
    <section className="review-doc" aria-labelledby="doc-path">
      <h2 id="doc-path">
        <code>{file.path}</code>
      </h2>
      <p className="meta">
        {file.bytes} bytes{commit && <> · <code>git show {shortCommit(commit)}:{file.path}</code></>}
        {markdown && file.content != null && (
          <label className="inline">
            <input type="checkbox" checked={raw} onChange={(e) => onRaw(e.target.checked)} /> as written
          </label>
        )}
      </p>
      {file.content == null ? (
        <p className="hint">Too large or not text: read it with git at the commit above.</p>
      ) : markdown && !raw ? (
        <Markdown text={file.content} />
      ) : (
        <pre className="doc-raw">{file.content}</pre>
      )}
    </section>
  )
}
