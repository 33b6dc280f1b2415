// The plan's dependency graph from tasks.md: numbered checkbox tasks (`- [ ] 2. Title`) and their
// `_Depends: 1, 2_` lines, laid out in layers (a task sits one layer after its latest dependency).

export interface PlanNode {
  id: string
  title: string
  done: boolean
  depends: string[]
  layer: number
}

const TASK = /^\s*[-*]\s+\[([ xX~-])\]\s+(\d+(?:\.\d+)*)\.?\s+(.*)$/
const DEPENDS = /_Depends(?: on)?:\s*([^_]*)_/i

export function planGraph(tasks: string): PlanNode[] {
  const nodes: PlanNode[] = []
  for (const line of tasks.split('\n')) {
    const task = TASK.exec(line)
    if (task) {
      const title = task[3].replace(/\s*\(P\)\s*$/, '').trim()
      nodes.push({ id: task[2], title, done: task[1].toLowerCase() === 'x', depends: [], layer: 0 })
      continue
    }
    const depends = DEPENDS.exec(line)
    const last = nodes[nodes.length - 1]
    if (depends && last) last.depends = depends[1].split(/[,\s]+/).filter(Boolean)
  }
  const byId = new Map(nodes.map((n) => [n.id, n]))
  // Longest path from a root, bounded by the node count so that a cycle cannot loop forever.
  for (let round = 0; round < nodes.length; round++) {
    let moved = false
    for (const n of nodes) {
      const layer = Math.max(0, ...n.depends.map((d) => (byId.get(d)?.layer ?? -1) + 1))
      if (layer !== n.layer && layer < nodes.length) {
        n.layer = layer
        moved = true
      }
    }
    if (!moved) break
  }
  return nodes
}

/** The nodes by layer, in plan order within a layer. */
export function layers(nodes: PlanNode[]): PlanNode[][] {
  const out: PlanNode[][] = []
  for (const n of nodes) (out[n.layer] ??= []).push(n)
  return out.filter(Boolean)
}
