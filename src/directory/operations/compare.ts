/**
 * Compare (RFC 4511 §4.10).
 */
import { resolveAttribute } from '../model/attributes.js';
import type { DirectoryContext } from '../context.js';
import { requireLive } from './live.js';
import { valuesOf } from '../model/entry-view.js';
import { OperationError, ResultCode } from '../errors.js';
import { hasEquality } from '../model/matching.js';

/** True when the entry holds the value (compareTrue), false otherwise (compareFalse). */
export function compare(ctx: DirectoryContext, dnText: string, attributeDescription: string, value: Buffer): boolean {
  const name = ctx.names.parse(dnText);
  const entry = requireLive(ctx, name, dnText);
  const attr = resolveAttribute(ctx, attributeDescription);
  if (!hasEquality(attr.rules)) throw new OperationError(ResultCode.inappropriateMatching, `${attr.name} has no equality matching rule`);
  const values = valuesOf(ctx, entry, attr);
  if (values.length === 0) throw new OperationError(ResultCode.noSuchAttribute, `${dnText} has no ${attr.name}`);
  const text = attr.binary ? value.toString('latin1') : value.toString('utf8');
  const wanted = ctx.evaluator.assertion(attr, text);
  return wanted !== undefined && values.some((v) => ctx.evaluator.assertion(attr, v) === wanted);
}
