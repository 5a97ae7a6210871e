// Layers point one way: api → core, cli → client; core never reaches up; schema/errors are leaves.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { ROOT } from './helpers/daemon.js'

const SRC = join(ROOT, 'src')

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** The src-relative modules and packages a file imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? '')
    .map((spec) => (spec.startsWith('.') ? relative(SRC, resolve(dirname(file), spec)) : `pkg:${spec}`))
}

const layerOf = (path: string) => path.split('/')[0]?.replace(/\.(ts|js)$/, '') ?? ''

const FORBIDDEN: Record<string, string[]> = {
  core: ['api', 'store', 'cli', 'server', 'config', 'pkg:fastify', 'pkg:@fastify/type-provider-typebox'],
  schema: ['core', 'api', 'store', 'cli', 'logs', 'server', 'errors'],
  errors: ['core', 'api', 'store', 'cli', 'logs', 'schema', 'server'],
  logs: ['api', 'cli', 'core', 'store', 'server', 'pkg:fastify'],
  store: ['api', 'cli', 'server', 'pkg:fastify'],
  api: ['store', 'cli', 'server', 'logs', 'client'],
  // Small facts about the operating system, shared by core and store.
  system: ['core', 'api', 'store', 'logs', 'cli', 'server', 'client', 'config'],
  client: ['core', 'api', 'store', 'logs', 'cli', 'server', 'config', 'pkg:fastify', 'pkg:typebox'],
  // The CLI talks to the daemon through the SDK; only `serve` loads the server, lazily.
  cli: ['core', 'api', 'store', 'logs'],
}

test('no import crosses a layer the wrong way', () => {
  const violations: string[] = []
  for (const file of files(SRC)) {
    const from = layerOf(relative(SRC, file))
    for (const target of importsOf(file)) {
      const to = target.startsWith('pkg:') ? target.replace(/\/.*$/, (m) => (target.startsWith('pkg:@') ? m : '')) : layerOf(target)
      if (FORBIDDEN[from]?.includes(to) === true) violations.push(`${relative(ROOT, file)} → ${target}`)
    }
  }
  assert.deepEqual(violations, [])
})

test('the SDK imports nothing at run time but its own files (types are erased)', () => {
  for (const file of files(join(SRC, 'client'))) {
    const text = readFileSync(file, 'utf8')
    for (const line of text.split('\n').filter((l) => /^(import|export) .* from ['"]/.test(l))) {
      const spec = /from ['"]([^'"]+)['"]/.exec(line)?.[1] ?? ''
      if (spec.startsWith('./')) continue
      assert.match(line, /^(import|export) type /, `${relative(ROOT, file)}: ${line}`)
    }
  }
})

test('store depends on core only for types', () => {
  for (const file of files(join(SRC, 'store'))) {
    const text = readFileSync(file, 'utf8')
    for (const line of text.split('\n').filter((l) => /from ['"]\.\.\/core\//.test(l))) {
      assert.match(line, /^import type /, `${relative(ROOT, file)}: ${line}`)
    }
  }
})
