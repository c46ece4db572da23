/** A command line that cannot be run as written: the CLI prints its message and the command's usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/**
 * The one-line message of a usage mistake, or undefined for any other error: ours, or one of the
 * `ERR_PARSE_ARGS_*` errors `node:util` `parseArgs` throws for an unknown flag, a missing value or a stray
 * argument.
 */
export const usageErrorOf = (error: unknown): string | undefined => {
  if (error instanceof UsageError) return error.message
  const code = (error as { code?: unknown } | null)?.code
  if (error instanceof Error && typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
    // parseArgs adds advice about '--' for stray arguments; for us a stray argument is a missing flag name.
    const firstSentence = error.message.split('\n')[0] ?? error.message
    return firstSentence.replace(/\. To specify a positional argument.*$/, '')
  }
  return undefined
}
