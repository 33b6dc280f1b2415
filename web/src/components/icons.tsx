/** The dashboard's icons (lucide), one per state it shows, drawn decoratively beside a text label. */
import {
  Ban,
  CircleAlert,
  CircleCheck,
  CircleDashed,
  CircleDot,
  CirclePause,
  CirclePlay,
  CircleX,
  Square,
  TriangleAlert,
  type LucideIcon,
} from 'lucide-react'
import type { ReactNode } from 'react'
import type { Schemas } from '../api/client'

type SessionStatus = Schemas['WorkSessionStatus']

const SESSION: Record<SessionStatus, LucideIcon> = {
  completed: CircleCheck,
  running: CirclePlay,
  blocked: CirclePause,
  failed: CircleX,
  cancelled: Ban,
  interrupted: CircleAlert,
  pending: CircleDashed,
}

/** A work session's status, as an icon coloured like its badge. */
export function SessionIcon({ status }: { status: SessionStatus }) {
  const Icon = SESSION[status]
  return <Icon className={`icon icon-${status}`} size={16} aria-hidden="true" />
}

/** A plan task's state: done, in progress or to do. */
export function PlanStateIcon({ state }: { state: 'done' | 'in_progress' | 'pending' | string }) {
  const Icon = state === 'done' ? CircleCheck : state === 'in_progress' ? CircleDot : Square
  return <Icon className={`icon icon-plan-${state}`} size={16} aria-hidden="true" />
}

/** A check that passed or failed. */
export function CheckIcon({ passed }: { passed: boolean }) {
  const Icon = passed ? CircleCheck : CircleX
  return <Icon className={`icon ${passed ? 'icon-completed' : 'icon-failed'}`} size={16} aria-hidden="true" />
}

/** A warning: its icon, then its text (read as "Warning: …"). */
export function Warning({ children }: { children: ReactNode }) {
  return (
    <span className="warning">
      <TriangleAlert className="icon" size={14} aria-hidden="true" />
      <span className="visually-hidden">Warning: </span>
      {children}
    </span>
  )
}
