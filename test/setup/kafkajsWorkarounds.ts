// Every test file's process gets the same kafkajs workarounds as the CLI (see src/cli/kafkajsWorkarounds.ts), so
// the suite's stderr stays free of dependency warnings on every Node version CI runs.
import { installKafkajsWorkarounds } from '../../src/cli/kafkajsWorkarounds.js'

installKafkajsWorkarounds()
