import ReactMarkdown, { defaultUrlTransform } from 'react-markdown'
import remarkGfm from 'remark-gfm'

/**
 * Markdown from agents, rendered inert: raw HTML is dropped (no rehype-raw), and links and
 * images keep only http(s), mailto and relative URLs (react-markdown's transform drops
 * `javascript:` and the like).
 */
export function Markdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <ReactMarkdown remarkPlugins={[remarkGfm]} urlTransform={defaultUrlTransform}>
        {text}
      </ReactMarkdown>
    </div>
  )
}
