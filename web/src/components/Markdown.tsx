import type { ComponentProps } from 'react'
import ReactMarkdown, { defaultUrlTransform } from 'react-markdown'
import remarkGfm from 'remark-gfm'
import { diffLineKind } from './diffLines'
import { showTaskMarkers } from './taskMarkers'

/**
 * Markdown from agents, rendered inert: raw HTML is dropped (no rehype-raw), and links and
 * images keep only http(s), mailto and relative URLs (react-markdown's transform drops
 * `javascript:` and the like). A ```diff block has its added and removed lines coloured, and a
 * plan task in progress (`[~]`) shows as an open box marked in progress.
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} urlTransform={defaultUrlTransform} components={{ code: Code }}>
        {showTaskMarkers(text)}
      </ReactMarkdown>
    </div>
  )
}

function Code({ className, children, node: _node, ...rest }: ComponentProps<'code'> & { node?: unknown }) {
  if (!className?.split(' ').includes('language-diff') || typeof children !== 'string') {
    return (
      <code className={className} {...rest}>
        {children}
      </code>
    )
  }
  return (
    <code className={className} {...rest}>
      {children
        .replace(/\n$/, '')
        .split('\n')
        .map((line, i) => (
          <span key={i} className={`diff-${diffLineKind(line)}`}>
            {line}
            {'\n'}
          </span>
        ))}
    </code>
  )
}
