// Starts the fake GitHub and Prism in front of it as a validating proxy; prints one JSON line,
// {"api": <Prism's URL>, "admin": <the fake's own URL>}, once Prism listens. Ends (Prism with it)
// when stdin closes or on SIGTERM/SIGINT.
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SERVED, serve } from './server.mjs'
import { writeServedDescription } from './lib/description.mjs'

const require = createRequire(import.meta.url)

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

const fake = await serve(0)
const admin = `http://127.0.0.1:${fake.address().port}`
const port = await freePort()
const prismCli = require.resolve('@stoplight/prism-cli/dist/index.js')
// GitHub's description of the operations served; the rest would only slow Prism's start.
const described = join(mkdtempSync(join(tmpdir(), 'fake-forge-')), 'github.json')
writeServedDescription(SERVED, described)
const prism = spawn(process.execPath, [prismCli, 'proxy', '--errors', '-h', '127.0.0.1', '-p', String(port), described, admin], {
  stdio: ['ignore', 'pipe', 'pipe'],
})
const stop = (code) => {
  prism.kill('SIGTERM')
  fake.close()
  process.exit(code)
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.on('close', () => stop(0))
process.stdin.resume()
prism.on('exit', (code) => {
  process.stderr.write(`fake-forge: prism exited (${code})\n`)
  stop(1)
})
const timer = setTimeout(() => {
  process.stderr.write('fake-forge: prism did not start within 120 s\n')
  stop(1)
}, 120_000)
let announced = false
const watch = (chunk) => {
  const text = chunk.toString()
  // Prism's request log, validation violations included, goes to stderr for the test's output.
  for (const line of text.split('\n')) {
    if (!line.includes('info ') && /violation|error|fatal/i.test(line)) process.stderr.write(line + '\n')
  }
  if (!announced && text.includes('Prism is listening')) {
    announced = true
    clearTimeout(timer)
    process.stdout.write(JSON.stringify({ api: `http://127.0.0.1:${port}`, admin }) + '\n')
  }
}
prism.stdout.on('data', watch)
prism.stderr.on('data', watch)
