/** Highlighted HTML for a piece of code, once the highlighter's chunk has loaded (undefined before). */
import { useEffect, useState } from 'react'

/** The language highlight.js knows a file by, from its name's extension. */
export function languageOf(path: string): string | undefined {
  const ext = path.split('.').pop()?.toLowerCase() ?? ''
  const byExt: Record<string, string> = {
    js: 'javascript', jsx: 'javascript', mjs: 'javascript', cjs: 'javascript',
    ts: 'typescript', tsx: 'typescript', py: 'python', rs: 'rust', go: 'go',
    json: 'json', css: 'css', html: 'xml', xml: 'xml', svg: 'xml', md: 'markdown',
    sh: 'bash', bash: 'bash', yml: 'yaml', yaml: 'yaml', toml: 'ini', ini: 'ini', sql: 'sql',
  }
  return byExt[ext]
}

type Highlight = (code: string, language: string) => string | undefined

/** The highlighter, once its chunk has loaded (when `wanted`); undefined before. */
export function useHighlighter(wanted: boolean): Highlight | undefined {
  const [loaded, setLoaded] = useState<{ highlight: Highlight }>()
  useEffect(() => {
    if (!wanted || loaded) return
    let live = true
    void import('./highlight').then(({ highlight }) => {
      if (live) setLoaded({ highlight })
    })
    return () => {
      live = false
    }
  }, [wanted, loaded])
  return loaded?.highlight
}

export function useHighlight(code: string, language: string | undefined): string | undefined {
  const highlight = useHighlighter(!!language)
  return language ? highlight?.(code, language) : undefined
}
