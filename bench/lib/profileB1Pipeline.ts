/**
 * B1(b) alone, for a CPU profile of the pipeline at full speed:
 *
 *   node --cpu-prof --cpu-prof-dir=bench/results/profile --import tsx bench/lib/profileB1Pipeline.ts [records]
 *   npx tsx bench/lib/summarizeCpuProfile.ts bench/results/profile/<file>.cpuprofile
 */
import { generateAttendance } from '../../src/testing/attendanceGenerator.js'
import { startKafka } from '../../src/testing/kafka/index.js'
import { measurePipeline } from '../scenarios/b1Throughput.js'
import { benchKafka, uniqueName } from './benchKafka.js'

const n = Number(process.argv[2] ?? 200_000)
const log = (line: string) => console.error(line)
const broker = await startKafka({ log })
try {
  const kafka = benchKafka(broker.brokers)
  const input = uniqueName('profile-in')
  await kafka.createTopic(input, 6)
  await kafka.produce(
    input,
    [...generateAttendance(n, { seed: 9, badShare: 0 })].map(({ key, value }) => ({ key, value })),
  )
  const measured = await measurePipeline({ kafka, smoke: false, log }, input, n)
  console.log(JSON.stringify(measured))
} finally {
  await broker.stop()
}
