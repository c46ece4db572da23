import type { Either } from 'fp-ts/lib/Either.js'
import { isRight } from 'fp-ts/lib/Either.js'
import { expect } from 'vitest'
import type { PipelineConfig } from '../../src/config/pipelineConfig.js'
import { Secret } from '../../src/secret.js'

/** The problem lines of a config that must not resolve. */
export const problems = (result: Either<string[], PipelineConfig>): string[] => {
  if (isRight(result)) throw new Error('expected problems, got a config')
  return result.left
}

/** The resolved config of one that must resolve. */
export const config = (result: Either<string[], PipelineConfig>): PipelineConfig => {
  if (!isRight(result)) throw new Error(`expected a config, got:\n${result.left.join('\n')}`)
  return result.right
}

/** Matches a Secret holding exactly `value`. */
export const secret = (value: string) =>
  expect.toSatisfy((u: unknown) => u instanceof Secret && u.reveal() === value, `Secret(${value})`)
