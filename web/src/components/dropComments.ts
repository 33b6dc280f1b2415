/**
 * A remark plugin that leaves HTML comments out, as every markdown renderer does. spectask's own
 * history files delimit each entry with one (`<!-- spectask-history seq=… -->`). Other raw HTML is
 * left to react-markdown, which shows it as text.
 */
export type MarkdownNode = { type: string; value?: string; children?: MarkdownNode[] }

const COMMENT = /^\s*<!--[\s\S]*-->\s*$/

export function remarkDropComments() {
  return (tree: MarkdownNode) => dropComments(tree)
}

export function dropComments(node: MarkdownNode): void {
  if (!node.children) return
  node.children = node.children.filter((child) => !(child.type === 'html' && COMMENT.test(child.value ?? '')))
  node.children.forEach(dropComments)
}
