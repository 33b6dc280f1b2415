// Query keys in one place: the live event reducer invalidates by these.
export const keys = {
  tasks: ['spec-tasks'] as const,
  task: (id: string) => ['spec-task', id] as const,
  taskPart: (id: string, part: string) => ['spec-task', id, part] as const,
  session: (id: string) => ['work-session', id] as const,
  history: (id: string) => ['work-session', id, 'history'] as const,
  agents: ['agents'] as const,
  repos: ['repos'] as const,
  demoRepos: ['demo-repos'] as const,
  approvals: ['approvals'] as const,
  fleet: ['fleet'] as const,
  notifications: ['notifications'] as const,
  attention: ['attention'] as const,
}
