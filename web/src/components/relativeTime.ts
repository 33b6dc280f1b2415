/** How long ago (or how soon) a moment is, in words: "just now", "5 min ago", "2 h ago", "3 days ago". */
export function relativeTime(at: Date, now: Date): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000)
  const ahead = seconds < 0
  const s = Math.abs(seconds)
  const say = (n: number, unit: string) => (ahead ? `in ${n} ${unit}` : `${n} ${unit} ago`)
  if (s < 45) return 'just now'
  if (s < 3600) return say(Math.max(1, Math.round(s / 60)), 'min')
  if (s < 86_400) return say(Math.round(s / 3600), 'h')
  const days = Math.round(s / 86_400)
  return say(days, days === 1 ? 'day' : 'days')
}
