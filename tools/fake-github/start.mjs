// Starts the fake GitHub on a free loopback port and Stoplight Prism in front of it, as a
// validating proxy holding every request and answer to GitHub's OpenAPI description. Once Prism
// listens, prints one JSON line: {"api": <Prism's URL>, "admin": <the fake's own URL>}.
// Runs until its stdin closes or it gets SIGTERM or SIGINT, then ends Prism and the fake.
//
// Prism's log goes to stderr, its violations and errors only (FAKE_GITHUB_PRISM_LOG=all: all of it).
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { createFake } from './server.mjs'

const here = (path) => fileURLToPath(new URL(path, import.meta.url))
const PRISM = here('./node_modules/@stoplight/prism-cli/dist/index.js')
const DESCRIPTION = here('./node_modules/@octokit/openapi/generated/api.github.com.json')
const EXIT_WITH_PARENT = here('./lib/exit-with-parent.mjs')
const START_TIMEOUT_MS = 120_000
const logAll = process.env.FAKE_GITHUB_PRISM_LOG === 'all'

const fail = (message) => process.stderr.write(`fake-github: ${message}\n`)

/** A loopback port free right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

const fake = createFake()
const admin = await fake.listen(0)
const port = await freePort()
const api = `http://127.0.0.1:${port}`
fake.urls.api = api

const prism = spawn(
  process.execPath,
  ['--import', EXIT_WITH_PARENT, PRISM, 'proxy', '--errors', '-h', '127.0.0.1', '-p', String(port), DESCRIPTION, admin],
  { stdio: ['pipe', 'pipe', 'pipe'] },
)

let stopping = false
function stop(code) {
  if (stopping) return
  stopping = true
  clearTimeout(timer)
  if (prism.exitCode === null && prism.signalCode === null) {
    prism.once('exit', () => process.exit(code))
    prism.kill('SIGTERM')
    setTimeout(() => prism.kill('SIGKILL'), 3000).unref()
  } else {
    process.exit(code)
  }
  fake.server.closeAllConnections()
  fake.server.close()
}

const timer = setTimeout(() => {
  fail(`Prism did not start within ${START_TIMEOUT_MS / 1000} s`)
  stop(1)
}, START_TIMEOUT_MS)

prism.on('exit', (code, signal) => {
  if (stopping) return
  fail(`Prism ended (${signal ?? `exit ${code}`})`)
  stop(1)
})

let ready = false
let pending = ''
function watch(chunk) {
  pending += chunk.toString()
  const lines = pending.split('\n')
  pending = lines.pop()
  for (const line of lines) {
    // Startup lists every route of the description at "info"; requests and violations follow.
    if (logAll || (!/\binfo\b/.test(line) && /error|fatal|warn|violation|✖/i.test(line))) process.stderr.write(`${line}\n`)
    if (!ready && line.includes('Prism is listening')) {
      ready = true
      clearTimeout(timer)
      process.stdout.write(`${JSON.stringify({ api, admin })}\n`)
    }
  }
}
prism.stdout.on('data', watch)
prism.stderr.on('data', watch)

process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.on('error', () => stop(0))
process.stdin.resume()
