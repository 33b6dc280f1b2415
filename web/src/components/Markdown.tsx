import type { ComponentProps } from 'react'
import ReactMarkdown, { defaultUrlTransform } from 'react-markdown'
import remarkGfm from 'remark-gfm'
import { diffLineKind } from './diffLines'
import { showTaskMarkers } from './taskMarkers'
import { useHighlight } from './useHighlight'

/**
 * Markdown from agents, rendered inert: raw HTML is dropped (no rehype-raw), and links and
 * images keep only http(s), mailto and relative URLs (react-markdown's transform drops
 * `javascript:` and the like). A ```diff block has its added and removed lines coloured, and a
 * plan task in progress (`[~]`) shows as an open box marked in progress. Other fenced blocks
 * naming a language are syntax-highlighted (the highlighter is loaded on first use).
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
  const language = /(?:^|\s)language-(\S+)/.exec(className ?? '')?.[1]
  if (language && language !== 'diff' && typeof children === 'string') {
    return <Highlighted className={className} code={children} language={ALIASES[language] ?? language} />
  }
  if (language !== 'diff' || typeof children !== 'string') {
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

/** Names people write after ``` for the languages the highlighter loads. */
const ALIASES: Record<string, string> = {
  js: 'javascript', jsx: 'javascript', ts: 'typescript', tsx: 'typescript', py: 'python', rs: 'rust',
  sh: 'bash', shell: 'bash', console: 'bash', html: 'xml', yml: 'yaml', toml: 'ini', md: 'markdown',
}

/** A fenced code block, plain until the highlighter has loaded, then coloured. */
function Highlighted({ className, code, language }: { className?: string; code: string; language: string }) {
  const html = useHighlight(code, language)
  return html === undefined ? (
    <code className={className}>{code}</code>
  ) : (
    <code className={`${className ?? ''} hljs`} dangerouslySetInnerHTML={{ __html: html }} />
  )
}
