// The spec review as a person writes it: one pending comment per line, at most one comment form
// open (on a line, prefilled with that line's comment), and the comment on the whole spec. Pure:
// the screen keeps the result as a draft (see drafts/).
import type { Schemas } from '../api/client'

export type LineComment = Schemas['LineComment']
export type CommentForm = { document: LineComment['document']; line: number; text: string }
export type ReviewDraft = { text: string; comments: LineComment[]; form?: CommentForm }

export const NO_REVIEW: ReviewDraft = { text: '', comments: [] }

export function isBlank(d: ReviewDraft): boolean {
  return !d.text.trim() && d.comments.length === 0 && !d.form?.text.trim()
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
