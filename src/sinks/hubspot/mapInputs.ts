import { contactIdentity } from '../../codecs/attendanceRecord.js'
import type { SubscriberInput } from '../../codecs/hubspotRequests.js'
import type { ErrorDetail, StandardError, SubscriberResult } from '../../codecs/hubspotResponses.js'
import type { RejectedInput } from './callResult.js'

/**
 * The contract's partial-failure policy (§3): an error names its inputs through `context` (`vids`, `emails`);
 * an error that names none applies to every input not listed in `results`. Two project choices on top:
 * an input named by an error is rejected even if `results` also lists it (the error is the more specific
 * statement), and an input neither listed nor named, in a response that reports errors, is rejected too —
 * HubSpot enumerated its problems and did not vouch for that input. A response without errors accepts
 * every input (PENDING / PROCESSING responses may list no results yet).
 */

const VID_KEYS = ['vids', 'vid', 'contactIds', 'contactId', 'ids']
const EMAIL_KEYS = ['emails', 'email']
const INPUT_PATH = /^inputs\[(\d+)\]/

const indexByIdentity = (inputs: readonly SubscriberInput[]): Map<string, number[]> => {
  const m = new Map<string, number[]>()
  inputs.forEach((input, i) => {
    const id = contactIdentity(input)
    const list = m.get(id)
    if (list === undefined) m.set(id, [i])
    else list.push(i)
  })
  return m
}

type Context = Record<string, string[]> | undefined

const namedIndices = (
  byIdentity: Map<string, number[]>,
  inputCount: number,
  contexts: readonly Context[],
  paths: readonly (string | undefined)[],
): number[] => {
  const out = new Set<number>()
  for (const ctx of contexts) {
    if (ctx === undefined) continue
    for (const key of VID_KEYS)
      for (const v of ctx[key] ?? []) for (const i of byIdentity.get(`vid:${v.trim()}`) ?? []) out.add(i)
    for (const key of EMAIL_KEYS)
      for (const v of ctx[key] ?? [])
        for (const i of byIdentity.get(`email:${v.trim().toLowerCase()}`) ?? []) out.add(i)
  }
  for (const p of paths) {
    const m = p === undefined ? null : INPUT_PATH.exec(p)
    const i = m?.[1] === undefined ? undefined : Number(m[1])
    if (i !== undefined && i < inputCount) out.add(i)
  }
  return [...out].sort((a, b) => a - b)
}

const subCategoryOf = (u: unknown): string | undefined => (typeof u === 'string' ? u : undefined)

const rejection = (
  index: number,
  message: string,
  category: string | undefined,
  subCategory: unknown,
  details: readonly ErrorDetail[] | undefined,
): RejectedInput => {
  const r: RejectedInput = { index, message }
  if (category !== undefined) r.category = category
  const sub = subCategoryOf(subCategory) ?? details?.find((d) => d.subCategory !== undefined)?.subCategory
  if (sub !== undefined) r.subCategory = sub
  const code = details?.find((d) => d.code !== undefined)?.code
  if (code !== undefined) r.code = code
  return r
}

/** Indices named by one error (its context, and its details' contexts and `in` paths). */
const indicesOf = (
  byIdentity: Map<string, number[]>,
  inputCount: number,
  e: { context?: Context; errors?: readonly ErrorDetail[] },
): number[] =>
  namedIndices(
    byIdentity,
    inputCount,
    [e.context, ...(e.errors ?? []).map((d) => d.context)],
    (e.errors ?? []).map((d) => d.in),
  )

export interface InputOutcomes {
  readonly acceptedIndices: number[]
  readonly rejected: RejectedInput[]
}

/** Splits a 200 batch response's inputs into accepted and rejected. */
export const mapBatchOutcomes = (
  inputs: readonly SubscriberInput[],
  results: readonly SubscriberResult[],
  errors: readonly StandardError[],
): InputOutcomes => {
  const byIdentity = indexByIdentity(inputs)
  const rejectedAt = new Map<number, RejectedInput>()
  let unnamed: StandardError | undefined
  for (const e of errors) {
    const named = indicesOf(byIdentity, inputs.length, e)
    if (named.length === 0) unnamed ??= e
    for (const i of named)
      if (!rejectedAt.has(i)) rejectedAt.set(i, rejection(i, e.message, e.category, e.subCategory, e.errors))
  }
  const listed = new Set<number>()
  for (const r of results) {
    const ids = [
      ...(r.email === undefined ? [] : [`email:${r.email.toLowerCase()}`]),
      ...(r.vid === undefined ? [] : [`vid:${r.vid}`]),
    ]
    for (const id of ids) for (const i of byIdentity.get(id) ?? []) listed.add(i)
  }
  const acceptedIndices: number[] = []
  inputs.forEach((_, i) => {
    if (rejectedAt.has(i)) return
    if (listed.has(i) || errors.length === 0) acceptedIndices.push(i)
    else if (unnamed !== undefined)
      rejectedAt.set(i, rejection(i, unnamed.message, unnamed.category, unnamed.subCategory, unnamed.errors))
    else
      rejectedAt.set(i, {
        index: i,
        message: 'HubSpot reported errors and did not list this input among its results',
        code: 'NOT_IN_RESULTS',
      })
  })
  const rejected = [...rejectedAt.values()].sort((a, b) => a.index - b.index)
  return { acceptedIndices, rejected }
}

/** The inputs a whole-request error body names (empty when it names none). */
export const namedByErrorBody = (
  inputs: readonly SubscriberInput[],
  body: {
    message: string
    category?: string
    subCategory?: unknown
    context?: Context
    errors?: readonly ErrorDetail[]
  },
): RejectedInput[] => {
  const byIdentity = indexByIdentity(inputs)
  const out: RejectedInput[] = []
  const seen = new Set<number>()
  // Prefer the most specific statement: each detail on its own, then the body's own context.
  for (const d of body.errors ?? []) {
    for (const i of namedIndices(byIdentity, inputs.length, [d.context], [d.in])) {
      if (seen.has(i)) continue
      seen.add(i)
      out.push(rejection(i, d.message, body.category, d.subCategory ?? body.subCategory, [d]))
    }
  }
  for (const i of namedIndices(byIdentity, inputs.length, [body.context], [])) {
    if (seen.has(i)) continue
    seen.add(i)
    out.push(rejection(i, body.message, body.category, body.subCategory, body.errors))
  }
  return out.sort((a, b) => a.index - b.index)
}
