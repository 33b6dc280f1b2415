// The spec review as a person writes it: one pending comment per line, at most one comment form
// open (on a line, prefilled with that line's comment), and the comment on the whole spec. Pure:
// the screen keeps the result as a draft (see drafts/), one per spec version.
import type { Schemas } from '../api/client'

export type LineComment = Schemas['LineComment']
export type CommentForm = { document: LineComment['document']; line: number; text: string }
export type ReviewDraft = {
  text: string
  comments: LineComment[]
  form?: CommentForm
  /** Answers to the planner's questions, by position (a draft kept before questions existed has none). */
  answers?: string[]
}

export const NO_REVIEW: ReviewDraft = { text: '', comments: [] }

export function isBlank(d: ReviewDraft): boolean {
  return !d.text.trim() && d.comments.length === 0 && !d.form?.text.trim() && !(d.answers ?? []).some((a) => a.trim())
}

const on = (document: string, line: number) => (c: { document: string; line?: number | null }) =>
  c.document === document && c.line === line

export function commentOn(d: ReviewDraft, document: string, line: number): string | undefined {
  return d.comments.find(on(document, line))?.comment
}

/** The form on a line (its comment to edit); a form open elsewhere keeps its typed text as its line's comment. */
export function openForm(d: ReviewDraft, document: LineComment['document'], line: number): ReviewDraft {
  if (d.form && on(document, line)(d.form)) return d
  const kept = d.form?.text.trim() ? saveForm(d) : { ...d, form: undefined }
  return { ...kept, form: { document, line, text: commentOn(kept, document, line) ?? '' } }
}

export function typeInForm(d: ReviewDraft, text: string): ReviewDraft {
  return d.form ? { ...d, form: { ...d.form, text } } : d
}

/** The form's text becomes its line's one comment (an emptied text removes it); the form closes. */
export function saveForm(d: ReviewDraft): ReviewDraft {
  if (!d.form) return d
  const { document, line, text } = d.form
  const others = d.comments.filter((c) => !on(document, line)(c))
  const comments = text.trim() ? [...others, { document, line, comment: text.trim() }] : others
  return { ...d, comments, form: undefined }
}

/** Closes the form; what was typed in it and not saved is dropped. */
export function closeForm(d: ReviewDraft): ReviewDraft {
  return { ...d, form: undefined }
}

export function removeComment(d: ReviewDraft, document: string, line: number): ReviewDraft {
  const form = d.form && on(document, line)(d.form) ? undefined : d.form
  return { ...d, comments: d.comments.filter((c) => !on(document, line)(c)), form }
}

/** The draft key of the review of a task's spec version. */
export function reviewKey(taskId: string, version: number): string {
  return `spec-review:${taskId}:v${version}`
}

/**
 * The version whose review a person was writing: the newest up to `latest` with a draft, if any. A
 * new version does not take the screen from a review begun on an older one.
 */
export function draftedVersion(latest: number, hasDraft: (version: number) => boolean): number | undefined {
  for (let v = latest; v >= 1; v--) if (hasDraft(v)) return v
  return undefined
}
