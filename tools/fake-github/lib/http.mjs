// Small HTTP helpers: a route table, JSON bodies and answers, and GitHub's error shapes.

export const DOCS = 'https://docs.github.com/rest'

/** An answer to give instead of going on: thrown by handlers, sent by the server. */
export class HttpError extends Error {
  constructor(status, body, headers = {}) {
    super(body?.message ?? `HTTP ${status}`)
    this.status = status
    this.body = body
    this.headers = headers
  }
}

/** GitHub's `basic-error`. */
export function basicError(status, message, documentationUrl = DOCS) {
  return new HttpError(status, { message, documentation_url: documentationUrl, status: String(status) })
}

export const notFound = () => basicError(404, 'Not Found')

/** GitHub's `validation-error` (422): `errors` as [{ resource, field?, code, message? }]. */
export function validationFailed(errors, documentationUrl = DOCS) {
  return new HttpError(422, { message: 'Validation Failed', errors, documentation_url: documentationUrl, status: '422' })
}

/** An admin API refusal (400 unless told): { message }. */
export function adminError(message, status = 400) {
  return new HttpError(status, { message })
}

/** Reads a request's body as JSON: null when empty; an HttpError (400) when not JSON. */
export async function readJson(req) {
  const chunks = []
  for await (const chunk of req) chunks.push(chunk)
  const text = Buffer.concat(chunks).toString('utf8')
  if (!text.trim()) return null
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' })
  }
}

export function sendJson(res, status, body, headers = {}) {
  const text = body === undefined ? '' : JSON.stringify(body)
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': Buffer.byteLength(text),
    ...headers,
  })
  res.end(text)
}

/**
 * A route table: add(method, '/repos/:owner/:repo', handler); match(method, path) gives
 * { handler, params } or { allowed } (the methods the path has) or null.
 */
export class Router {
  constructor() {
    this.routes = []
  }

  add(method, pattern, handler) {
    const names = []
    const source = pattern.replace(/:(\w+)/g, (_, name) => {
      names.push(name)
      return '([^/]+)'
    })
    this.routes.push({ method, regex: new RegExp(`^${source}$`), names, handler })
    return this
  }

  match(method, path) {
    const allowed = []
    for (const route of this.routes) {
      const found = route.regex.exec(path)
      if (!found) continue
      if (route.method !== method) {
        allowed.push(route.method)
        continue
      }
      const params = {}
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1])
      })
      return { handler: route.handler, params }
    }
    return allowed.length ? { allowed } : null
  }
}
