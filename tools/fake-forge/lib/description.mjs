// GitHub's OpenAPI description, and answers built from it: an operation's own example when
// GitHub gives one, otherwise an object with every required property, then the fake's state laid
// over it. Prism checks the result against the same description on its way out.
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
export const DESCRIPTION_PATH = require.resolve('@octokit/openapi/generated/api.github.com.json')
const description = JSON.parse(readFileSync(DESCRIPTION_PATH, 'utf8'))

/**
 * GitHub's description cut to the operations `served` names (`METHOD /path/:param`), everything
 * else in it unchanged, written to `file`: Prism loads it in a second or two instead of ten, and
 * a request to anything else is Prism's own 404.
 */
export function writeServedDescription(served, file) {
  writeFileSync(file, JSON.stringify(cutDescription(description, served)))
}

/**
 * `whole` (an OpenAPI or Swagger description) with only the operations `served` names; a served
 * path carries the description's `basePath` (Swagger 2) in front, and so do the paths of the cut
 * description, which has none: Prism's proxy matches a request's whole path against them.
 */
export function cutDescription(whole, served) {
  const base = whole.basePath && whole.basePath !== '/' ? whole.basePath : ''
  served = served.map((s) => s.replace(' ' + base + '/', ' /'))
  const shape = (path) => path.replace(/\{[^}]+\}|:[A-Za-z_]+\+?/g, '*')
  const wanted = new Set(served.map((s) => s.toLowerCase().replace(/ .*/, '') + ' ' + shape(s.replace(/^\S+ /, ''))))
  const paths = {}
  for (const [path, item] of Object.entries(whole.paths)) {
    const kept = Object.fromEntries(
      Object.entries(item).filter(([method]) => wanted.has(`${method} ${shape(path)}`) || method === 'parameters'),
    )
    if (Object.keys(kept).some((k) => k !== 'parameters')) paths[base + path] = kept
  }
  const cut = { ...whole, paths }
  delete cut.basePath
  return cut
}

function resolve(node) {
  let seen = 0
  while (node && node.$ref) {
    const path = node.$ref.replace(/^#\//, '').split('/')
    node = path.reduce((at, key) => at[key], description)
    if (++seen > 50) throw new Error('a $ref cycle')
  }
  return node
}

/** The JSON answer of `method path` with `status`, as GitHub's example or built from its schema. */
export function answer(method, path, status) {
  const operation = description.paths[path]?.[method.toLowerCase()]
  if (!operation) throw new Error(`no operation ${method} ${path} in the description`)
  const response = resolve(operation.responses[String(status)])
  const content = response?.content?.['application/json']
  if (!content) throw new Error(`${method} ${path} answers ${status} with no JSON`)
  const example = content.examples && Object.values(content.examples)[0]
  // GitHub's examples lag its schemas now and then: what one lacks is built from the schema.
  if (example) return complete(structuredClone(resolve(example).value), content.schema, 0)
  return build(content.schema, 0)
}

/** `value` with every required property `schema` names and it lacks, at every depth. */
function complete(value, schema, depth) {
  schema = resolve(schema)
  if (!schema || value === null || depth > 12) return value
  if (schema.allOf) return schema.allOf.reduce((v, s) => complete(v, s, depth + 1), value)
  const options = schema.anyOf || schema.oneOf
  if (options) {
    const objectLike = options.map(resolve).find((s) => s.type === 'object' || s.properties || s.allOf)
    return objectLike && typeof value === 'object' ? complete(value, objectLike, depth + 1) : value
  }
  if (Array.isArray(value)) return value.map((item) => complete(item, schema.items, depth + 1))
  if (typeof value !== 'object') return value
  for (const key of schema.required ?? []) {
    if (!(key in value)) value[key] = build(schema.properties?.[key] ?? {}, depth + 1, key)
  }
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (key in value) value[key] = complete(value[key], property, depth + 1)
  }
  return value
}

/** A value of `schema` holding every required property. */
export function build(schema, depth, key = '') {
  schema = resolve(schema)
  if (!schema || depth > 12) return null
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s) => build(s, depth + 1)))
  const options = schema.anyOf || schema.oneOf
  if (options) return build(options.find((s) => resolve(s).type !== 'null') ?? options[0], depth + 1, key)
  if (schema.nullable) return null
  if (schema.enum) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type
  if (Array.isArray(schema.type) && schema.type.includes('null')) return null
  switch (type) {
    case 'object': {
      const out = {}
      for (const name of schema.required ?? []) out[name] = build(schema.properties?.[name] ?? {}, depth + 1, name)
      return out
    }
    case 'array':
      return []
    case 'integer':
    case 'number':
      return schema.minimum ?? 1
    case 'boolean':
      return false
    case 'string':
      if (schema.format === 'date-time') return '2026-01-01T00:00:00Z'
      if (schema.format === 'uri' || schema.format === 'url') return 'https://github.com/'
      if (schema.format === 'email') return 'someone@example.com'
      // GitHub's *_url strings are URLs clients parse, whether or not the schema says so.
      if (key === 'url' || key.endsWith('_url')) return 'https://api.github.invalid/'
      return 'x'
    default:
      return schema.properties ? build({ ...schema, type: 'object' }, depth) : null
  }
}
