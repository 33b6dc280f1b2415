import { layers, planGraph } from '../spec/plan'

/** The plan's dependency graph: one column per layer, each task naming what it waits for. */
export function PlanGraph({ tasks }: { tasks: string }) {
  const nodes = planGraph(tasks)
  if (nodes.length === 0) return null
  return (
    <figure className="plan-graph" aria-label="Plan dependency graph">
      <figcaption>Dependency graph (left to right: what can run first)</figcaption>
      <div className="plan-layers">
        {layers(nodes).map((layer, i) => (
          <ol key={i} className="plan-layer" aria-label={`Step ${i + 1}`}>
            {layer.map((n) => (
              <li key={n.id} className={n.done ? 'plan-node done' : 'plan-node'} data-plan-task={n.id}>
                <strong>{n.id}</strong> {n.title}
                {n.depends.length > 0 && <span className="meta"> ← {n.depends.join(', ')}</span>}
              </li>
            ))}
          </ol>
        ))}
      </div>
    </figure>
  )
}
