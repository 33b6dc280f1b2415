// The implementation review's diff, laid out: the changed files as a tree of folders (each with
// its added and removed lines), and a hunk's lines side by side for the split view. Pure.
import type { Schemas } from '../api/client'

type FileDiff = Schemas['FileDiffDto']
type DiffLine = Schemas['DiffLineDto']

/** A folder of the tree (its name may be a chain of folders each holding only the next) or a file. */
export type TreeNode =
  | { kind: 'dir'; name: string; path: string; additions: number; deletions: number; children: TreeNode[] }
  | { kind: 'file'; name: string; path: string; index: number; file: FileDiff }

type Dir = Extract<TreeNode, { kind: 'dir' }>

/**
 * The changed files as a tree: folders first, then files, each by name; a folder whose only child
 * is a folder is shown as one (`src/auth`), as GitHub does. `index` is the file's place in `files`.
 */
export function fileTree(files: FileDiff[]): TreeNode[] {
  const root: Dir = { kind: 'dir', name: '', path: '', additions: 0, deletions: 0, children: [] }
  files.forEach((file, index) => {
    const parts = file.path.split('/').filter(Boolean)
    let dir = root
    dir.additions += file.additions
    dir.deletions += file.deletions
    for (const part of parts.slice(0, -1)) {
      const path = dir.path ? `${dir.path}/${part}` : part
      let next = dir.children.find((c): c is Dir => c.kind === 'dir' && c.path === path)
      if (!next) {
        next = { kind: 'dir', name: part, path, additions: 0, deletions: 0, children: [] }
        dir.children.push(next)
      }
      next.additions += file.additions
      next.deletions += file.deletions
      dir = next
    }
    dir.children.push({ kind: 'file', name: parts.at(-1) ?? file.path, path: file.path, index, file })
  })
  return root.children.map(compact).sort(byKindThenName)
}

function compact(node: TreeNode): TreeNode {
  if (node.kind === 'file') return node
  let dir = node
  while (dir.children.length === 1 && dir.children[0]?.kind === 'dir') {
    const only = dir.children[0]
    dir = { ...only, name: `${dir.name}/${only.name}` }
  }
  return { ...dir, children: dir.children.map(compact).sort(byKindThenName) }
}

function byKindThenName(a: TreeNode, b: TreeNode): number {
  if (a.kind !== b.kind) return a.kind === 'dir' ? -1 : 1
  return a.name.localeCompare(b.name)
}

/** The files of the tree in the order it shows them (what the diffs below follow). */
export function treeOrder(nodes: TreeNode[]): number[] {
  return nodes.flatMap((n) => (n.kind === 'file' ? [n.index] : treeOrder(n.children)))
}

/** One row of the split view: the old line on the left, the new one on the right (either may be missing). */
export interface SplitRow {
  left?: DiffLine
  right?: DiffLine
}

/**
 * A hunk's lines side by side: a context line on both sides; a run of removed lines beside the run
 * of added lines that follows it, line for line, the longer one's rest against blanks.
 */
export function splitRows(lines: DiffLine[]): SplitRow[] {
  const rows: SplitRow[] = []
  let i = 0
  while (i < lines.length) {
    const line = lines[i]
    if (!line) break
    if (line.kind === 'context') {
      rows.push({ left: line, right: line })
      i++
      continue
    }
    const removed: DiffLine[] = []
    const added: DiffLine[] = []
    while (lines[i]?.kind === 'removed') removed.push(lines[i++] as DiffLine)
    while (lines[i]?.kind === 'added') added.push(lines[i++] as DiffLine)
    for (let j = 0; j < Math.max(removed.length, added.length); j++) rows.push({ left: removed[j], right: added[j] })
  }
  return rows
}

/** How the diff is shown: every line in one column, or old and new side by side. */
export type DiffLayout = 'unified' | 'split'

/** Where the person's choice of layout is kept. */
export const LAYOUT_KEY = 'spectask:diff-layout'

export function readLayout(storage: Pick<Storage, 'getItem'> | null): DiffLayout {
  try {
    return storage?.getItem(LAYOUT_KEY) === 'split' ? 'split' : 'unified'
  } catch {
    return 'unified'
  }
}
