// Starts the fake forge and a Prism in front of it per described forge, as validating proxies:
// GitHub's (GitHub's OpenAPI description) and Forgejo's (Forgejo's Swagger description). Prints
// one JSON line once both listen:
//   {"api": <GitHub's API through Prism>, "forgejo": <Forgejo's root through Prism>,
//    "gitlab": <GitLab's root, the fake itself>, "admin": <the fake's own URL>}
// Ends (the Prisms with it) when stdin closes or on SIGTERM/SIGINT.
import { execFileSync, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { createRequire } from 'node:module'
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SERVED, SERVED_FORGEJO, serve } from './server.mjs'
import { cutDescription, writeServedDescription } from './lib/description.mjs'

const require = createRequire(import.meta.url)
const here = dirname(fileURLToPath(import.meta.url))

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/**
 * Forgejo's Swagger description: the file the forgejo-api crate ships, found through cargo's
 * metadata of the workspace (or, without cargo, in cargo's registry).
 */
function forgejoDescription() {
  try {
    const manifest = join(here, '..', '..', 'Cargo.toml')
    const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--manifest-path', manifest], { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'] }))
    const crate = metadata.packages.find((p) => p.name === 'forgejo-api')
    if (crate) return join(dirname(crate.manifest_path), 'swagger.v1.json')
  } catch {
    // No cargo here: look in its registry.
  }
  const registry = join(process.env.CARGO_HOME ?? join(homedir(), '.cargo'), 'registry', 'src')
  for (const index of existsSync(registry) ? readdirSync(registry) : []) {
    const found = readdirSync(join(registry, index)).filter((d) => d.startsWith('forgejo-api-')).sort().pop()
    if (found) return join(registry, index, found, 'swagger.v1.json')
  }
  throw new Error('Forgejo\'s description (the forgejo-api crate\'s swagger.v1.json) is not on this machine: run `cargo fetch`')
}

/**
 * The description with every optional property of a request body allowed to be null. Forgejo's
 * server (Go's JSON decoding) reads a null as absent, which its description does not say, and the
 * forgejo-api crate sends null for an option left out; answers are held to the description as is.
 */
function absentMayBeNull(description) {
  for (const item of Object.values(description.paths)) {
    for (const operation of Object.values(item)) {
      for (const parameter of operation.parameters ?? []) {
        const ref = parameter.in === 'body' && parameter.schema?.$ref
        const definition = ref && description.definitions[ref.split('/').pop()]
        for (const [name, property] of Object.entries(definition?.properties ?? {})) {
          if (!(definition.required ?? []).includes(name)) property['x-nullable'] = true
        }
      }
    }
  }
  return description
}

/**
 * The description with what Forgejo answers and does not say: a commit without any status has the
 * combined state `""`.
 */
function asForgejoAnswers(description) {
  const combined = description.definitions.CombinedStatus
  const states = description.definitions.CommitStatusState
  combined.properties.state = { type: 'string', enum: [...states.enum, ''], description: states.description }
  return description
}

const fake = await serve(0)
const admin = `http://127.0.0.1:${fake.address().port}`
const prismCli = require.resolve('@stoplight/prism-cli/dist/index.js')
const scratch = mkdtempSync(join(tmpdir(), 'fake-forge-'))
// Each description cut to the operations served; the rest would only slow Prism's start.
const github = join(scratch, 'github.json')
writeServedDescription(SERVED, github)
const forgejo = join(scratch, 'forgejo.json')
writeFileSync(forgejo, JSON.stringify(asForgejoAnswers(absentMayBeNull(cutDescription(JSON.parse(readFileSync(forgejoDescription(), 'utf8')), SERVED_FORGEJO)))))

const prisms = []
const stop = (code) => {
  for (const prism of prisms) prism.kill('SIGTERM')
  fake.close()
  process.exit(code)
}
process.on('SIGTERM', () => stop(0))
process.on('SIGINT', () => stop(0))
process.stdin.on('end', () => stop(0))
process.stdin.on('close', () => stop(0))
process.stdin.resume()

/** A Prism proxy of `description` in front of the fake; resolves with its URL once it listens. */
async function prism(name, description) {
  const port = await freePort()
  const child = spawn(process.execPath, [prismCli, 'proxy', '--errors', '-h', '127.0.0.1', '-p', String(port), description, admin], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  prisms.push(child)
  child.on('exit', (code) => {
    process.stderr.write(`fake-forge: ${name}'s prism exited (${code})\n`)
    stop(1)
  })
  return new Promise((resolve) => {
    let listening = false
    const watch = (chunk) => {
      const text = chunk.toString()
      // Prism's request log, validation violations included, goes to stderr for the test's output.
      for (const line of text.split('\n')) {
        if (!line.includes('info ') && /violation|error|fatal/i.test(line)) process.stderr.write(`${name}: ${line}\n`)
      }
      if (!listening && text.includes('Prism is listening')) {
        listening = true
        resolve(`http://127.0.0.1:${port}`)
      }
    }
    child.stdout.on('data', watch)
    child.stderr.on('data', watch)
  })
}

const timer = setTimeout(() => {
  process.stderr.write('fake-forge: prism did not start within 120 s\n')
  stop(1)
}, 120_000)
const [api, forgejoRoot] = await Promise.all([prism('github', github), prism('forgejo', forgejo)])
clearTimeout(timer)
process.stdout.write(JSON.stringify({ api, forgejo: forgejoRoot, gitlab: admin, admin }) + '\n')
