import type { ComponentProps } from 'react'
import ReactMarkdown, { defaultUrlTransform } from 'react-markdown'
import remarkGfm from 'remark-gfm'
import { diffLineKind } from './diffLines'
import { remarkDropComments } from './dropComments'
import { showTaskMarkers } from './taskMarkers'
import { languageOf, useHighlight, useHighlighter } from './useHighlight'

/**
 * Markdown from agents, rendered inert: raw HTML is not rendered (no rehype-raw) and HTML
 * comments are left out (`dropComments`); links and images keep only http(s), mailto and relative
 * URLs (react-markdown's transform drops `javascript:` and the like). A ```diff block has its added and removed lines coloured and its
 * code highlighted by its file's language; other fenced blocks naming a language are highlighted
 * too (the highlighter is loaded on first use). A plan task in progress (`[~]`) shows as an open
 * box marked in progress. Its own chunk, loaded through `Markdown`.
 */
export function MarkdownView({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm, remarkDropComments]} urlTransform={defaultUrlTransform} components={{ code: Code }}>
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
  return <DiffCode className={className} text={children} />
}

/** A ```diff block: each line coloured by its kind, and its code highlighted by the language of
 * the file it names (`+++ b/src/a.js`), once the highlighter has loaded. */
function DiffCode({ className, text }: { className?: string; text: string }) {
  const lines = text.replace(/\n$/, '').split('\n')
  const path = lines.find((l) => l.startsWith('+++ '))?.replace(/^\+\+\+ (b\/)?/, '')
  const language = path ? languageOf(path) : undefined
  const highlight = useHighlighter(!!language)
  return (
    <code className={className}>
      {lines.map((line, i) => {
        const kind = diffLineKind(line)
        const code = kind === 'added' || kind === 'removed' || kind === 'context' ? line.slice(1) : undefined
        const html = code !== undefined && language ? highlight?.(code, language) : undefined
        return (
          <span key={i} className={`diff-${kind}`}>
            {html === undefined ? (
              line
            ) : (
              <>
                {line[0]}
                <span className="hljs" dangerouslySetInnerHTML={{ __html: html }} />
              </>
            )}
            {'\n'}
          </span>
        )
      })}
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
