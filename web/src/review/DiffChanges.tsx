/**
 * The implementation review's changes: the changed files as a tree beside their diffs (a file
 * clicked, or chosen with Enter, scrolls its diff into view and opens it), each with its added and
 * removed lines, and a switch between the unified and the split diff, kept in localStorage.
 */
import { useState, type KeyboardEvent } from 'react'
import { FileCode2, Folder } from 'lucide-react'
import type { Schemas } from '../api/client'
import { FileDiffView } from '../components/FileDiff'
import { useCommands } from '../palette/useCommands'
import { fileTree, LAYOUT_KEY, readLayout, treeOrder, type DiffLayout, type TreeNode } from './diffLayout'

type FileDiff = Schemas['FileDiffDto']

/** The anchor of the file at `index` of the review's files. */
const anchor = (index: number) => `diff-file-${index}`

function storage(): Storage | null {
  try {
    return localStorage
  } catch {
    return null
  }
}

/** The person's diff layout, kept across reviews and reloads. */
export function useDiffLayout(): [DiffLayout, (layout: DiffLayout) => void] {
  const [layout, setLayout] = useState(() => readLayout(storage()))
  const choose = (next: DiffLayout) => {
    setLayout(next)
    try {
      storage()?.setItem(LAYOUT_KEY, next)
    } catch {
      // Without storage, the choice holds while the page is open.
    }
  }
  return [layout, choose]
}

export function DiffChanges({ files, leftOut }: { files: FileDiff[]; leftOut: number }) {
  const [layout, setLayout] = useDiffLayout()
  const [current, setCurrent] = useState<number | undefined>(undefined)
  useCommands(
    files.length === 0
      ? []
      : [
          layout === 'unified'
            ? { id: 'diff:split', title: 'Show the diff split', group: 'This page', keywords: 'side by side layout', run: () => setLayout('split') }
            : { id: 'diff:unified', title: 'Show the diff unified', group: 'This page', keywords: 'layout', run: () => setLayout('unified') },
        ],
  )
  const tree = fileTree(files)
  const order = treeOrder(tree)
  const open = (index: number) => {
    setCurrent(index)
    const details = document.getElementById(anchor(index))
    if (!(details instanceof HTMLDetailsElement)) return
    details.open = true
    details.scrollIntoView({ block: 'start' })
    details.querySelector('summary')?.focus({ preventScroll: true })
  }
  return (
    <section aria-labelledby="review-changes" className="changes">
      <div className="changes-head">
        <h3 id="review-changes">Changes</h3>
        {files.length > 0 && (
          <div role="group" aria-label="Diff layout" className="view-switch">
            {(['unified', 'split'] as const).map((l) => (
              <button key={l} type="button" aria-pressed={layout === l} onClick={() => setLayout(l)}>
                {l === 'unified' ? 'Unified' : 'Split'}
              </button>
            ))}
          </div>
        )}
      </div>
      {files.length === 0 && <p className="hint">The branch changes no file (yet).</p>}
      {files.length > 0 && (
        <div className="changes-body">
          <nav className="file-tree" aria-label="Changed files" onKeyDown={moveInTree}>
            <p className="file-tree-head">
              {files.length} file{files.length === 1 ? '' : 's'}
            </p>
            <TreeList nodes={tree} current={current} onOpen={open} />
          </nav>
          <div className="changes-files" data-layout={layout}>
            {order.map((index) => {
              const f = files[index]
              return f && <FileDiffView key={f.path} file={f} layout={layout} id={anchor(index)} />
            })}
            {leftOut > 0 && <p className="hint">{leftOut} more changed files are not shown.</p>}
          </div>
        </div>
      )}
    </section>
  )
}

function TreeList({ nodes, current, onOpen }: { nodes: TreeNode[]; current?: number; onOpen: (index: number) => void }) {
  return (
    <ul className="tree-list">
      {nodes.map((n) =>
        n.kind === 'dir' ? (
          <li key={`d:${n.path}`} className="tree-dir">
            <span className="tree-dir-name" title={n.path}>
              <Folder className="icon" size={14} aria-hidden="true" />
              <span className="truncate">{n.name}</span>
            </span>
            <TreeList nodes={n.children} current={current} onOpen={onOpen} />
          </li>
        ) : (
          <li key={`f:${n.path}`}>
            <button
              type="button"
              className="tree-file"
              title={n.path}
              aria-current={current === n.index ? 'location' : undefined}
              aria-label={`${n.path}: ${n.file.additions} added, ${n.file.deletions} removed`}
              onClick={() => onOpen(n.index)}
            >
              <FileCode2 className="icon" size={14} aria-hidden="true" />
              <span className="truncate">{n.name}</span>
              <span className="tree-counts" aria-hidden="true">
                <span className="added-count">+{n.file.additions}</span> <span className="removed-count">−{n.file.deletions}</span>
              </span>
            </button>
          </li>
        ),
      )}
    </ul>
  )
}

/** Up and down arrows (and Home, End) move between the tree's files. */
function moveInTree(e: KeyboardEvent<HTMLElement>) {
  const buttons = [...e.currentTarget.querySelectorAll<HTMLButtonElement>('button.tree-file')]
  const at = buttons.findIndex((b) => b === document.activeElement)
  if (at < 0) return
  const to =
    e.key === 'ArrowDown' ? at + 1 : e.key === 'ArrowUp' ? at - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : undefined
  if (to === undefined) return
  e.preventDefault()
  buttons[Math.max(0, Math.min(buttons.length - 1, to))]?.focus()
}
