/**
 * Plan checklists as markdown shows them: spectask marks a plan task in progress `[~]` (Kiro's
 * `[-]` too), which GitHub markdown does not know; such an item is shown as an open checkbox
 * followed by "in progress". Lines in fenced code blocks are left as they are.
 */
export function showTaskMarkers(text: string): string {
  let fenced = false
  return text
    .split('\n')
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced
      if (fenced) return line
      const m = /^(\s*[-*+] )\[[~-]\]( .*?)(\r?)$/.exec(line)
      return m ? `${m[1]}[ ]${m[2]} *(in progress)*${m[3]}` : line
    })
    .join('\n')
}
