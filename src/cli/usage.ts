// What each command prints for --help and after a usage error; one place, so the texts agree.

const EXIT_CODES = `Exit codes: 0 stopped cleanly (SIGTERM), 1 failed, 2 usage or configuration error,
3 Kafka topics missing, 130 interrupted (SIGINT / Ctrl-C, or a second signal).`

export const RUN_USAGE = `usage: attendance-stream run [--config file.json] [--create-topics [--partitions N] [--replication-factor N]]

Runs one consumer-group member until SIGTERM or SIGINT (Ctrl-C), then drains, commits and exits.

  -c, --config FILE          the configuration (docs/configuration.md); environment variables override it
                             (KAFKA_BROKERS, KAFKA_GROUP_ID, INPUT_TOPICS, RESULTS_TOPIC, ERRORS_TOPIC,
                             HUBSPOT_TOKEN, HUBSPOT_BASE_URL, …)
      --create-topics        create missing input/results/errors topics instead of exiting 3 (development)
      --partitions N         partitions of topics created that way (default 3)
      --replication-factor N replication factor of topics created that way (default 1)
  -h, --help                 this text

At start, the input, results and errors topics must exist: each missing one is named and the member exits 3.
${EXIT_CODES}
`

export const DEMO_USAGE = `usage: attendance-stream demo [flags]   (attendance-stream demo --help lists them)

The whole pipeline on an embedded Kafka broker and the HubSpot simulator, with a final check.
`

export const SANDBOX_USAGE = `usage: attendance-stream sandbox [--config-file FILE] [--records N] [--partitions N]
       attendance-stream sandbox produce --config FILE [--records N] [--seed N] [--bad-share X]

Starts an embedded Kafka broker and the HubSpot simulator, creates the input, results and errors topics, writes
a ready configuration file and prints the \`attendance-stream run\` command (and its environment) that uses
them. Stays up until Ctrl-C, then removes everything it started.

      --config-file FILE     where to write the configuration (default: a temporary folder, removed at exit)
      --records N            produce N sample records into the input topic once the topics exist (default 0)
      --partitions N         partitions of the input topic (default 3)
  -h, --help                 this text

\`sandbox produce\` writes N generated records (default 1000) into the input topic of a sandbox's config file.
`

export const USAGE = `usage:
  attendance-stream run [--config file.json]   run one consumer-group member until SIGTERM/SIGINT
  attendance-stream sandbox [flags]            a local Kafka and HubSpot simulator to point \`run\` at
  attendance-stream demo [flags]               the whole pipeline on an embedded broker and the simulator
  attendance-stream <command> --help           a command's flags
  attendance-stream --version

Configuration: a JSON file (docs/configuration.md) with environment overrides
(KAFKA_BROKERS, KAFKA_GROUP_ID, INPUT_TOPICS, RESULTS_TOPIC, ERRORS_TOPIC, HUBSPOT_TOKEN, HUBSPOT_BASE_URL, …).
${EXIT_CODES}
`
