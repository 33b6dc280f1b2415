// The fake GitHub: GitHub's REST API (the part spectask uses) on state held in memory and real
// bare git repositories, plus the admin API under /_fake for tests. Run it behind Prism (start.mjs)
// so that every request and answer is held to GitHub's OpenAPI description.
//
//   node server.mjs [port]   serves on 127.0.0.1 (a free port by default) and prints its URL.
import { createServer } from 'node:http'
import { pathToFileURL } from 'node:url'
import { adminRoutes } from './lib/admin.mjs'
import { apiRoutes } from './lib/api.mjs'
import { basicError, HttpError, notFound, readJson, sendJson } from './lib/http.mjs'
import { Objects } from './lib/objects.mjs'
import { Store } from './lib/store.mjs'

/** The token of `Authorization: Bearer <token>` or `token <token>`; undefined when absent. */
function bearer(req) {
  const header = req.headers.authorization
  if (!header) return undefined
  const found = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header)
  return found ? found[1] : null
}

/**
 * A fake GitHub: { server, store, urls, listen(port) }. `urls.api` is where clients reach the API
 * (Prism's address, set by the launcher; the fake's own by default), `urls.web` the fake's own.
 */
export function createFake() {
  const store = new Store()
  const urls = { api: null, web: null }
  const objects = new Objects(store, urls)
  const api = apiRoutes()
  const admin = adminRoutes()

  async function handleApi(req, res, ctx) {
    const answer = { status: 500, body: undefined, headers: {} }
    try {
      const given = bearer(req)
      if (given !== undefined) {
        ctx.token = given === null ? null : store.tokens.get(given) ?? null
        if (!ctx.token) throw basicError(401, 'Bad credentials')
        if (ctx.token.scopes) answer.headers['x-oauth-scopes'] = ctx.token.scopes.join(', ')
      }
      const found = api.match(req.method, ctx.path)
      if (!found?.handler) throw notFound()
      ctx.params = found.params
      ctx.body = await readJson(req)
      const result = await found.handler(ctx)
      answer.status = result.status
      answer.body = result.body
      Object.assign(answer.headers, result.headers)
    } catch (error) {
      if (!(error instanceof HttpError)) {
        process.stderr.write(`fake-github: ${req.method} ${req.url}: ${error.stack}\n`)
        error = basicError(500, `fake-github: ${error.message}`)
      }
      answer.status = error.status
      answer.body = error.body
      Object.assign(answer.headers, error.headers)
    }
    store.requests.push({ method: req.method, path: ctx.path, query: ctx.query, status: answer.status, body: ctx.body ?? null })
    sendJson(res, answer.status, answer.body, answer.headers)
  }

  async function handleAdmin(req, res, ctx) {
    try {
      const found = admin.match(req.method, ctx.path)
      if (!found) throw new HttpError(404, { message: `no admin route ${req.method} ${ctx.path}` })
      if (!found.handler) throw new HttpError(405, { message: `${ctx.path} takes ${found.allowed.join(', ')}` })
      ctx.params = found.params
      ctx.body = req.method === 'GET' ? null : await readJson(req)
      const { status, body } = await found.handler(ctx)
      sendJson(res, status, body)
    } catch (error) {
      if (!(error instanceof HttpError)) {
        process.stderr.write(`fake-github: ${req.method} ${req.url}: ${error.stack}\n`)
        error = new HttpError(500, { message: error.message })
      }
      sendJson(res, error.status, { message: error.body.message })
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://fake')
    const ctx = { store, objects, token: undefined, path: url.pathname, query: Object.fromEntries(url.searchParams) }
    const handle = ctx.path === '/_fake' || ctx.path.startsWith('/_fake/') ? handleAdmin : handleApi
    handle(req, res, ctx)
  })

  return {
    server,
    store,
    urls,
    /** Listens on 127.0.0.1:`port` (0: a free one); resolves to the fake's own URL. */
    listen(port = 0) {
      return new Promise((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => {
          urls.web = `http://127.0.0.1:${server.address().port}`
          urls.api ??= urls.web
          resolve(urls.web)
        })
      })
    },
    close() {
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const fake = createFake()
  const url = await fake.listen(Number(process.argv[2] ?? 0))
  process.stdout.write(`${url}\n`)
}
