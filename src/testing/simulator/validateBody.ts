/**
 * Structural validation of a request, as HubSpot's deserializer would do it: any problem fails the whole
 * request with 400 VALIDATION_ERROR. Every problem is reported, each with the path of the offending field, so
 * a test (or a human) sees exactly which input was wrong.
 */

export interface ValidationProblem {
  readonly message: string
  readonly code: 'INVALID_JSON' | 'REQUIRED' | 'INVALID_TYPE' | 'NOT_ALLOWED' | 'TOO_MANY' | 'INVALID_STATE'
  readonly in: string
}

export interface ValidInput {
  readonly vid?: number
  readonly email?: string
  readonly interactionDateTime: number
  readonly properties: Record<string, string>
  readonly contactProperties: Record<string, string>
}

export const SUBSCRIBER_STATES = ['register', 'attend', 'cancel'] as const
const ATTEND_PROPERTIES = new Set(['joinedAt', 'leftAt'])

const typeName = (u: unknown): string => (u === null ? 'null' : Array.isArray(u) ? 'array' : typeof u)

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === 'object' && u !== null && !Array.isArray(u)

const stringMap = (u: unknown, path: string, problems: ValidationProblem[]): Record<string, string> => {
  if (!isObject(u)) {
    problems.push({
      message: `${path} must be an object of strings, got ${typeName(u)}`,
      code: u === undefined ? 'REQUIRED' : 'INVALID_TYPE',
      in: path,
    })
    return {}
  }
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(u)) {
    if (typeof v === 'string') out[k] = v
    else
      problems.push({
        message: `${path}.${k} must be a string, got ${typeName(v)}`,
        code: 'INVALID_TYPE',
        in: `${path}.${k}`,
      })
  }
  return out
}

const integer = (
  u: unknown,
  path: string,
  min: number,
  problems: ValidationProblem[],
): number | undefined => {
  if (typeof u === 'number' && Number.isSafeInteger(u) && u >= min) return u
  problems.push({
    message:
      u === undefined
        ? `${path} is required`
        : `${path} must be an integer ≥ ${min}, got ${typeof u === 'number' ? String(u) : typeName(u)}`,
    code: u === undefined ? 'REQUIRED' : 'INVALID_TYPE',
    in: path,
  })
  return undefined
}

export interface RequestShape {
  readonly emailVariant: boolean
  readonly subscriberState: string
  readonly maxBatchSize: number
  readonly upsert: boolean
  readonly externalAccountId: string | undefined
}

export const validateRequest = (
  bodyText: string,
  shape: RequestShape,
): { ok: true; inputs: ValidInput[] } | { ok: false; problems: ValidationProblem[] } => {
  const problems: ValidationProblem[] = []
  if (!(SUBSCRIBER_STATES as readonly string[]).includes(shape.subscriberState))
    problems.push({
      message: `Unknown subscriberState "${shape.subscriberState}": expected one of ${SUBSCRIBER_STATES.join(', ')}`,
      code: 'INVALID_STATE',
      in: 'subscriberState',
    })
  if (shape.upsert && (shape.externalAccountId === undefined || shape.externalAccountId === ''))
    problems.push({ message: 'externalAccountId is required', code: 'REQUIRED', in: 'externalAccountId' })
  let body: unknown
  try {
    body = JSON.parse(bodyText)
  } catch (e) {
    problems.push({
      message: `Invalid input JSON: ${(e as Error).message}`,
      code: 'INVALID_JSON',
      in: 'body',
    })
    return { ok: false, problems }
  }
  if (!isObject(body) || !Array.isArray(body.inputs)) {
    problems.push({
      message: `Request body must be an object with an "inputs" array, got ${isObject(body) ? `inputs: ${typeName(body.inputs)}` : typeName(body)}`,
      code: isObject(body) && body.inputs === undefined ? 'REQUIRED' : 'INVALID_TYPE',
      in: 'inputs',
    })
    return { ok: false, problems }
  }
  if (body.inputs.length > shape.maxBatchSize) {
    problems.push({
      message: `Too many inputs: ${body.inputs.length}, at most ${shape.maxBatchSize} per request`,
      code: 'TOO_MANY',
      in: 'inputs',
    })
    return { ok: false, problems }
  }
  const inputs: ValidInput[] = []
  body.inputs.forEach((raw: unknown, i: number) => {
    const at = `inputs[${i}]`
    if (!isObject(raw)) {
      problems.push({
        message: `${at} must be an object, got ${typeName(raw)}`,
        code: 'INVALID_TYPE',
        in: at,
      })
      return
    }
    const interactionDateTime = integer(raw.interactionDateTime, `${at}.interactionDateTime`, 0, problems)
    const properties = stringMap(raw.properties, `${at}.properties`, problems)
    if (shape.subscriberState === 'attend')
      for (const k of Object.keys(properties))
        if (!ATTEND_PROPERTIES.has(k))
          problems.push({
            message: `${at}.properties.${k} is not allowed for subscriberState attend (only joinedAt, leftAt)`,
            code: 'NOT_ALLOWED',
            in: `${at}.properties.${k}`,
          })
    if (shape.emailVariant) {
      if (typeof raw.email !== 'string')
        problems.push({
          message:
            raw.email === undefined
              ? `${at}.email is required`
              : `${at}.email must be a string, got ${typeName(raw.email)}`,
          code: raw.email === undefined ? 'REQUIRED' : 'INVALID_TYPE',
          in: `${at}.email`,
        })
      const contactProperties = stringMap(raw.contactProperties, `${at}.contactProperties`, problems)
      if (typeof raw.email === 'string' && interactionDateTime !== undefined)
        inputs.push({ email: raw.email, interactionDateTime, properties, contactProperties })
    } else {
      const vid = integer(raw.vid, `${at}.vid`, 1, problems)
      if (vid !== undefined && interactionDateTime !== undefined)
        inputs.push({ vid, interactionDateTime, properties, contactProperties: {} })
    }
  })
  return problems.length > 0 ? { ok: false, problems } : { ok: true, inputs }
}
