/**
 * Markdown from agents and people, rendered inert by `MarkdownView`. That renderer (react-markdown
 * and its parsers, a third of the app's code) is a chunk of its own, so that the board and the
 * fleet start without it: it is fetched once the app has started (`preloadMarkdown`), and a text
 * shown before it arrives is shown as it was written.
 */
import { lazy, Suspense } from 'react'

const load = () => import('./MarkdownView')
const MarkdownView = lazy(async () => ({ default: (await load()).MarkdownView }))

/** Fetches the renderer ahead of the first text that needs it. */
export function preloadMarkdown(): void {
  void load()
}

export function Markdown({ text }: { text: string }) {
  return (
    <Suspense fallback={<div className="markdown markdown-plain">{text}</div>}>
      <MarkdownView text={text} />
    </Suspense>
  )
}
