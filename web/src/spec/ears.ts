// EARS criteria and lint findings as the review screen marks them, line by line. Pure.

export type EarsPattern = 'event' | 'state' | 'unwanted' | 'optional' | 'ubiquitous'

export const EARS_LABEL: Record<EarsPattern, string> = {
  event: 'Event-driven (WHEN … SHALL)',
  state: 'State-driven (WHILE … SHALL)',
  unwanted: 'Unwanted behaviour (IF … THEN … SHALL)',
  optional: 'Optional feature (WHERE … SHALL)',
  ubiquitous: 'Ubiquitous (THE … SHALL)',
}

/** The EARS pattern of one line of requirements, if it states a criterion (needs SHALL). */
export function earsPattern(line: string): EarsPattern | undefined {
  const text = line.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').replace(/\*\*/g, '').trim()
  if (!/\bSHALL\b/.test(text)) return undefined
  if (/^WHEN\b/.test(text)) return 'event'
  if (/^WHILE\b/.test(text)) return 'state'
  if (/^IF\b/.test(text)) return 'unwanted'
  if (/^WHERE\b/.test(text)) return 'optional'
  return 'ubiquitous'
}

export type Finding = { file: string; line: number; level: string; code: string; message: string }

/** One finding as the linter prints it: `requirements.md:12: warning[R101]: …`. */
export function parseFinding(text: string): Finding | undefined {
  const m = /^(.+?):(\d+): (\w+)\[([A-Za-z0-9]+)\]: (.*)$/s.exec(text.trim())
  if (!m) return undefined
  return { file: m[1], line: Number(m[2]), level: m[3], code: m[4], message: m[5] }
}

/** The findings of one document (matched by file name, `requirements` ~ `requirements.md`), by line. */
export function findingsByLine(lint: string[], document: string): Map<number, Finding[]> {
  const out = new Map<number, Finding[]>()
  for (const text of lint) {
    const f = parseFinding(text)
    if (!f) continue
    const base = f.file.split('/').pop()?.replace(/\.md$/, '')
    if (base !== document) continue
    out.set(f.line, [...(out.get(f.line) ?? []), f])
  }
  return out
}
