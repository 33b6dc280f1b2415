import type { Schemas } from '../api/client'
import { splitRows, type DiffLayout } from '../review/diffLayout'
import { languageOf, useHighlighter } from './useHighlight'
import { StatusBadge } from './Badge'

type FileDiff = Schemas['FileDiffDto']
type DiffLine = Schemas['DiffLineDto']

const SIGN = { added: '+', removed: '−', context: ' ' } as const

/** One changed file of a branch: its hunks as a table of old and new line numbers (`unified`), or
 * the old lines beside the new ones (`split`), each line syntax-highlighted by the file's language
 * once the highlighter has loaded. `id` is its anchor (the file tree scrolls to it). */
export function FileDiffView({ file, layout = 'unified', id }: { file: FileDiff; layout?: DiffLayout; id?: string }) {
  const language = languageOf(file.path)
  const highlight = useHighlighter(!!language && file.hunks.length > 0)
  const html = (text: string) => (language && highlight?.(text, language)) || undefined
  const name = file.old_path ? `${file.old_path} → ${file.path}` : file.path
  return (
    <details className="file-diff" id={id} data-path={file.path} open={file.hunks.length > 0 && file.additions + file.deletions <= 400}>
      <summary>
        <code className="file-name" title={name}>
          {name}
        </code>{' '}
        <StatusBadge kind="change" status={file.change} /> <span className="added-count">+{file.additions}</span>{' '}
        <span className="removed-count">−{file.deletions}</span>
      </summary>
      {file.binary && <p className="hint">Binary file.</p>}
      {file.hunks.map((h, i) =>
        layout === 'split' ? (
          <table key={i} className="hunk split" aria-label={`${file.path}, ${h.header}, old and new side by side`}>
            <colgroup>
              <col className="line-no-col" />
              <col />
              <col className="line-no-col" />
              <col />
            </colgroup>
            <thead>
              <tr>
                <th colSpan={4} scope="colgroup" className="hunk-header">
                  {h.header}
                </th>
              </tr>
            </thead>
            <tbody>
              {splitRows(h.lines).map((row, j) => (
                <tr key={j} className="diff-line">
                  <Half line={row.left} side="old" html={html} />
                  <Half line={row.right} side="new" html={html} />
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
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
        ),
      )}
      {file.truncated && <p className="hint">The rest of this file's changes is not shown.</p>}
    </details>
  )
}

/** One side of a split row: its line number and text, or blanks where the other side has a line. */
function Half({ line, side, html }: { line?: DiffLine; side: 'old' | 'new'; html: (text: string) => string | undefined }) {
  if (!line) {
    return (
      <>
        <td className="line-no empty" />
        <td className="line-code empty" />
      </>
    )
  }
  const no = side === 'old' ? line.old_line : line.new_line
  return (
    <>
      <td className={`line-no ${line.kind}`} aria-label={no == null ? undefined : `${side} line ${no}`}>
        {no ?? ''}
      </td>
      <td className={`line-code ${line.kind}`} data-side={side}>
        <span aria-hidden="true">{SIGN[line.kind]}</span>
        {line.kind !== 'context' && <span className="visually-hidden">{line.kind}: </span>}
        <LineText text={line.text} html={html(line.text)} />
      </td>
    </>
  )
}

function LineText({ text, html }: { text: string; html?: string }) {
  return html === undefined ? <>{text}</> : <span className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
}
