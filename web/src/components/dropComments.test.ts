import { describe, expect, it } from 'vitest'
import { dropComments, type MarkdownNode } from './dropComments'

describe('dropComments', () => {
  it('leaves out comment nodes at any depth and keeps other HTML', () => {
    const tree: MarkdownNode = {
      type: 'root',
      children: [
        { type: 'html', value: '<!-- spectask-history seq=1 at=2026-11-25T19:53:42.640Z len=148 -->' },
        { type: 'list', children: [{ type: 'listItem', children: [{ type: 'html', value: '<!-- x\ny -->' }] }] },
        { type: 'html', value: '<b>bold</b>' },
        { type: 'paragraph', children: [{ type: 'text', value: '<!-- as text -->' }] },
      ],
    }
    dropComments(tree)
    expect(tree).toEqual({
      type: 'root',
      children: [
        { type: 'list', children: [{ type: 'listItem', children: [] }] },
        { type: 'html', value: '<b>bold</b>' },
        { type: 'paragraph', children: [{ type: 'text', value: '<!-- as text -->' }] },
      ],
    })
  })
})
