import { useLayoutEffect, useRef, useState, type RefObject } from 'react'
import { layers, planGraph, type PlanNode } from '../spec/plan'

interface Edge {
  from: string
  to: string
  d: string
}

/**
 * The plan's dependency graph: one column per layer, and an arrow from each task to each task
 * waiting for it (drawn over the columns once they are laid out, and again when they resize).
 */
export function PlanGraph({ tasks }: { tasks: string }) {
  const nodes = planGraph(tasks)
  const box = useRef<HTMLDivElement>(null)
  const edges = useEdges(box, nodes)
  if (nodes.length === 0) return null
  return (
    <figure className="plan-graph" aria-label="Plan dependency graph">
      <figcaption>Dependency graph (left to right: what can run first; arrows point to what waits)</figcaption>
      <div className="plan-layers" ref={box}>
        <svg className="plan-edges" aria-hidden="true" data-testid="plan-edges">
          <defs>
            <marker id="plan-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto">
              <path d="M0,0 L8,4 L0,8 z" />
            </marker>
          </defs>
          {edges.map((e) => (
            <path key={`${e.from}-${e.to}`} d={e.d} data-edge={`${e.from}->${e.to}`} markerEnd="url(#plan-arrow)" />
          ))}
        </svg>
        {layers(nodes).map((layer, i) => (
          <ol key={i} className="plan-layer" aria-label={`Step ${i + 1}`}>
            {layer.map((n) => (
              <li key={n.id} className={n.done ? 'plan-node done' : 'plan-node'} data-plan-task={n.id}>
                <strong>{n.id}</strong> {n.title}
                {n.depends.length > 0 && <span className="visually-hidden"> (waits for {n.depends.join(', ')})</span>}
              </li>
            ))}
          </ol>
        ))}
      </div>
    </figure>
  )
}

/** The arrows between the laid-out nodes inside `box`, measured after each layout. */
function useEdges(box: RefObject<HTMLDivElement | null>, nodes: PlanNode[]): Edge[] {
  const [edges, setEdges] = useState<Edge[]>([])
  const key = nodes.map((n) => `${n.id}:${n.depends.join(',')}`).join(' ')
  useLayoutEffect(() => {
    const el = box.current
    if (!el) return
    const measure = () => {
      const origin = el.getBoundingClientRect()
      const at = (id: string) => el.querySelector<HTMLElement>(`[data-plan-task="${CSS.escape(id)}"]`)?.getBoundingClientRect()
      const next: Edge[] = []
      for (const n of nodes) {
        const to = at(n.id)
        for (const d of n.depends) {
          const from = at(d)
          if (!from || !to) continue
          const x1 = from.right - origin.left + el.scrollLeft
          const y1 = from.top + from.height / 2 - origin.top
          const x2 = to.left - origin.left + el.scrollLeft - 2
          const y2 = to.top + to.height / 2 - origin.top
          const bend = Math.max(12, (x2 - x1) / 2)
          next.push({ from: d, to: n.id, d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}` })
        }
      }
      setEdges(next)
    }
    measure()
    const observer = new ResizeObserver(measure)
    observer.observe(el)
    return () => observer.disconnect()
    // The graph's shape (its key) is all the measuring depends on.
  }, [key])
  return edges
}
