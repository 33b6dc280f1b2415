// A unified diff's line kinds, for colouring a ```diff block in markdown (the transcript's code
// changes) the way the review colours its diff. Pure.
export type DiffLineKind = 'added' | 'removed' | 'hunk' | 'file' | 'context'

export function diffLineKind(line: string): DiffLineKind {
  if (line.startsWith('+++') || line.startsWith('---')) return 'file'
  if (line.startsWith('@@')) return 'hunk'
  if (line.startsWith('+')) return 'added'
  if (line.startsWith('-')) return 'removed'
  return 'context'
}
