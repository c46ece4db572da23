import type { TestProject } from 'vitest/node'
import { installKafkajsWorkarounds } from '../../src/cli/kafkajsWorkarounds.js'
import { startKafka } from '../../src/testing/kafka/index.js'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
  }
}

// One broker for the whole integration run; each test makes its own topics and group ids (test/support/kafka.ts).
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  installKafkajsWorkarounds()
  const broker = await startKafka({ log: (line) => console.log(line) })
  project.provide('kafkaBrokers', [...broker.brokers])
  return () => broker.stop()
}
