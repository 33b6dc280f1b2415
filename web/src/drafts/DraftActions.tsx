import type { ReactNode } from 'react'

/**
 * The buttons at the foot of a dialog with a draft: Cancel closes it and keeps the draft (as
 * Escape does), Discard draft forgets what was typed, then the dialog's own action(s).
 */
export function DraftActions(props: { draft: boolean; onDiscard: () => void; onClose: () => void; children: ReactNode }) {
  return (
    <div className="actions dialog-actions">
      <button type="button" onClick={props.onClose}>
        Cancel
      </button>
      {props.draft && (
        <button type="button" className="link" onClick={props.onDiscard}>
          Discard draft
        </button>
      )}
      {props.draft && <span className="hint">Draft kept until you send or discard it.</span>}
      <span className="actions-end">{props.children}</span>
    </div>
  )
}
