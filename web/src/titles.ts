// A task's title as shown: the server derives it from the prompt's first line, cut to 72
// characters (at a word, or inside one long word); a cut title ends with an ellipsis.
export function shownTitle(task: { title: string; prompt: string }): string {
  const line = task.prompt.split('\n').map((l) => l.trim()).find((l) => l !== '') ?? ''
  const cut = line.length > task.title.length && normalize(line).startsWith(normalize(task.title))
  return cut ? `${task.title}…` : task.title
}

function normalize(text: string): string {
  return text.replace(/\s+/g, ' ')
}
