import { describe, expect, it } from 'vitest'
import { layers, planGraph } from './plan'

const TASKS = `# Implementation Plan

- [x] 1. Add the user store (P)
  - _Requirements: 1.1_

- [ ] 2. Add token issuing (P)

- [ ] 3. Add the routes
  - _Requirements: 1.2_
  - _Depends: 1, 2_

- [ ] 4. Document it
  - _Depends: 3_
`

describe('planGraph', () => {
  it('reads tasks, their state and dependencies, and layers them', () => {
    const nodes = planGraph(TASKS)
    expect(nodes.map((n) => [n.id, n.title, n.done, n.depends, n.layer])).toEqual([
      ['1', 'Add the user store', true, [], 0],
      ['2', 'Add token issuing', false, [], 0],
      ['3', 'Add the routes', false, ['1', '2'], 1],
      ['4', 'Document it', false, ['3'], 2],
    ])
    expect(layers(nodes).map((l) => l.map((n) => n.id))).toEqual([['1', '2'], ['3'], ['4']])
  })

  it('stops on a cycle and ignores unknown dependencies', () => {
    const nodes = planGraph('- [ ] 1. A\n  _Depends: 2_\n- [ ] 2. B\n  _Depends: 1, 9_\n')
    expect(nodes.every((n) => n.layer < nodes.length)).toBe(true)
  })
})
