import type { Schemas } from '../api/client'
import { languageOf, useHighlighter } from './useHighlight'
import { StatusBadge } from './Badge'

type FileDiff = Schemas['FileDiffDto']

const SIGN = { added: '+', removed: '−', context: ' ' } as const

/** One changed file of a branch: its hunks as a table of old and new line numbers, each line
 * syntax-highlighted by the file's language once the highlighter has loaded. */
export function FileDiffView({ file }: { file: FileDiff }) {
  const language = languageOf(file.path)
  const highlight = useHighlighter(!!language && file.hunks.length > 0)
  const html = (text: string) => (language && highlight?.(text, language)) || undefined
  const name = file.old_path ? `${file.old_path} → ${file.path}` : file.path
  return (
    <details className="file-diff" open={file.hunks.length > 0 && file.additions + file.deletions <= 400}>
      <summary>
        <code>{name}</code> <StatusBadge kind="change" status={file.change} />{' '}
        <span className="added-count">+{file.additions}</span> <span className="removed-count">−{file.deletions}</span>
      </summary>
      {file.binary && <p className="hint">Binary file.</p>}
      {file.hunks.map((h, i) => (
        <table key={i} className="hunk" aria-label={`${file.path}, ${h.header}`}>
          <thead>
            <tr>
              <th colSpan={3} scope="colgroup" className="hunk-header">
                {h.header}
              </th>
            </tr>
          </thead>
          <tbody>
            {h.lines.map((l, j) => (
              <tr key={j} className={`diff-line ${l.kind}`}>
                <td className="line-no" aria-label={l.old_line == null ? undefined : `old line ${l.old_line}`}>
                  {l.old_line ?? ''}
                </td>
                <td className="line-no" aria-label={l.new_line == null ? undefined : `new line ${l.new_line}`}>
                  {l.new_line ?? ''}
                </td>
                <td className="line-code">
                  <span aria-hidden="true">{SIGN[l.kind]}</span>
                  {l.kind !== 'context' && <span className="visually-hidden">{l.kind}: </span>}
                  <LineText text={l.text} html={html(l.text)} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ))}
      {file.truncated && <p className="hint">The rest of this file's changes is not shown.</p>}
    </details>
  )
}

function LineText({ text, html }: { text: string; html?: string }) {
  return html === undefined ? <>{text}</> : <span className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
}
