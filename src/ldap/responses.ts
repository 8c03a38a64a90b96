/**
 * The responses the server sends, encoded: LDAPResult-shaped ones, extended responses, and
 * search entries with their attribute lists. The directory stores each entry's attribute
 * list as this encodes it (its attribute codec), and reads it back with the readers here.
 */
import { integer, messageIdLength, octets, Op, readTlv, tlv, tlvSize, writeHeader, writeMessageId } from '../protocol/index.js';

/** An LDAPResult-shaped operation (with optional extra trailing elements). */
export function resultOp(tag: number, code: number, diagnostic = '', matchedDn = '', ...extra: Buffer[]): Buffer {
  return tlv(tag, integer(code, 0x0a), octets(matchedDn), octets(diagnostic), ...extra);
}

/** An ExtendedResponse with optional name and raw value. */
export function extendedResponseOp(code: number, diagnostic: string, name?: string, value?: Buffer): Buffer {
  const extra: Buffer[] = [];
  if (name !== undefined) extra.push(octets(name, 0x8a));
  if (value !== undefined) extra.push(octets(value, 0x8b));
  return resultOp(Op.extendedResponse, code, diagnostic, '', ...extra);
}

/** An IntermediateResponse (RFC 4511 §4.13) with optional name and raw value. */
export function intermediateResponseOp(name?: string, value?: Buffer): Buffer {
  return tlv(Op.intermediateResponse, ...(name === undefined ? [] : [octets(name, 0x80)]), ...(value === undefined ? [] : [octets(value, 0x81)]));
}

/** A SearchResultEntry operation (to be wrapped with controls by `message`). */
export function searchEntryOp(dn: string, list: Buffer): Buffer {
  return tlv(Op.searchResultEntry, octets(dn), list);
}

/** An attribute of a returned entry; `binary` values are latin1 strings (one char per byte). */
export interface EntryAttribute {
  readonly name: string;
  readonly values: readonly string[];
  readonly binary: boolean;
}

/**
 * The PartialAttributeList of a SearchResultEntry (RFC 4511 §4.5.2), with its header. Sized
 * first, then written into one buffer: this is the bulk of what a search sends, and building
 * it from nested TLVs costs an allocation and a copy per level for every value. The
 * directory stores it with each entry (its attribute encoder), so that most searches send it
 * as it is.
 */
export function attributeList(attributes: readonly EntryAttribute[]): Buffer {
  const valueLengths: number[] = [];
  const attributeLengths: number[] = [];
  let list = 0;
  for (const a of attributes) {
    let set = 0;
    for (const v of a.values) {
      const n = a.binary ? v.length : Buffer.byteLength(v, 'utf8');
      valueLengths.push(n);
      set += tlvSize(n);
    }
    const content = tlvSize(Buffer.byteLength(a.name, 'utf8')) + tlvSize(set);
    attributeLengths.push(content, set);
    list += tlvSize(content);
  }
  const out = Buffer.allocUnsafe(tlvSize(list));
  let at = writeHeader(out, 0, 0x30, list);
  let value = 0;
  attributes.forEach((a, i) => {
    at = writeHeader(out, at, 0x30, attributeLengths[2 * i]!);
    at = writeHeader(out, at, 0x04, Buffer.byteLength(a.name, 'utf8'));
    at += out.write(a.name, at, 'utf8');
    at = writeHeader(out, at, 0x31, attributeLengths[2 * i + 1]!);
    for (const v of a.values) {
      const n = valueLengths[value++]!;
      at = writeHeader(out, at, 0x04, n);
      at += out.write(v, at, a.binary ? 'latin1' : 'utf8');
    }
  });
  return out;
}

/**
 * Encoded attribute lists by view. The directory hands out the same view object again while
 * an entry and the selection are unchanged, so a popular entry is encoded once, not once per
 * search (or per live search told of its change); a view of the stored encoding needs none.
 */
const encodedLists = new WeakMap<object, Buffer>();

/** The attribute list of an entry view: its stored bytes, or its attributes encoded (once per view). */
export function viewAttributeList(view: { readonly encoded?: Buffer; readonly attributes: readonly EntryAttribute[] }): Buffer {
  let list = view.encoded ?? encodedLists.get(view);
  if (!list) {
    list = attributeList(view.attributes);
    encodedLists.set(view, list);
  }
  return list;
}

/** Whether bytes [start, end) of `buffer` are the (ASCII) `name`: compared in place, no string made. */
function isName(buffer: Buffer, start: number, end: number, name: string): boolean {
  if (end - start !== name.length) return false;
  for (let i = 0; i < name.length; i += 1) if (buffer[start + i] !== name.charCodeAt(i)) return false;
  return true;
}

/**
 * Where the content of the last TLV {@link tlvEnd} read starts: its second result, kept here
 * so that walking an encoding makes no object per header (a Tlv per header was a tenth of
 * an enumeration page's own work, readTlv not inlined).
 */
let contentStart = 0;

/**
 * The end of the TLV at `at` (not past `limit`), its content's start left in
 * {@link contentStart}; throws as {@link readTlv} does for what does not fit.
 */
function tlvEnd(buffer: Buffer, at: number, limit: number): number {
  if (at + 2 > limit) return readTlv(buffer, at, limit).end;
  let length = buffer[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || start + count > limit) return readTlv(buffer, at, limit).end;
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + buffer[start + i]!;
    start += count;
  }
  const end = start + length;
  if (end > limit) return readTlv(buffer, at, limit).end;
  contentStart = start;
  return end;
}

/**
 * Walks a list {@link attributeList} wrote: `visit` gets each attribute's name (its bounds)
 * and the bounds of its SET of values' content, and returns true to stop. Only headers are read.
 */
function walkAttributeList(list: Buffer, visit: (nameStart: number, nameEnd: number, setStart: number, setEnd: number) => boolean): void {
  const outerEnd = tlvEnd(list, 0, list.length);
  for (let at = contentStart; at < outerEnd; ) {
    const attributeEnd = tlvEnd(list, at, outerEnd);
    const nameEnd = tlvEnd(list, contentStart, attributeEnd);
    const nameStart = contentStart;
    const setEnd = tlvEnd(list, nameEnd, attributeEnd);
    if (visit(nameStart, nameEnd, contentStart, setEnd)) return;
    at = attributeEnd;
  }
}

/** The values of a SET OF AttributeValue (its content's bounds); binary ones as latin1 strings, as {@link EntryAttribute} has them. */
function setValues(list: Buffer, setStart: number, setEnd: number, binary: boolean): string[] {
  const values: string[] = [];
  for (let v = setStart; v < setEnd; ) {
    const end = tlvEnd(list, v, setEnd);
    values.push(list.toString(binary ? 'latin1' : 'utf8', contentStart, end));
    v = end;
  }
  return values;
}

/**
 * The values of one attribute in a list {@link attributeList} wrote, found by its name as
 * written there; undefined when the list does not hold it. Filters are evaluated on stored
 * lists with this: it decodes only the attribute asked for (a conference's blob is most of
 * its list, and few filters name it).
 */
export function attributeValues(list: Buffer, name: string, binary: boolean): string[] | undefined {
  // walkAttributeList's loop written out: its callback would be a closure per call, and this
  // runs for every term of a filter on every candidate.
  const outerEnd = tlvEnd(list, 0, list.length);
  for (let at = contentStart; at < outerEnd; ) {
    const attributeEnd = tlvEnd(list, at, outerEnd);
    const nameEnd = tlvEnd(list, contentStart, attributeEnd);
    if (isName(list, contentStart, nameEnd, name)) {
      const setEnd = tlvEnd(list, nameEnd, attributeEnd);
      return setValues(list, contentStart, setEnd, binary);
    }
    at = attributeEnd;
  }
  return undefined;
}

/**
 * Names to pick, as byte strings by length: `keys` (lower case) made ready to compare with
 * the names in an encoding where they lie, without making a string of each.
 */
type Picker = ReadonlyMap<number, readonly Buffer[]>;

/** Pickers by the set of keys they were made of: a search's selection is kept (and shared) while its list is asked for. */
const pickers = new WeakMap<ReadonlySet<string>, Picker>();

function pickerOf(keys: ReadonlySet<string>): Picker {
  let picker = pickers.get(keys);
  if (!picker) {
    const byLength = new Map<number, Buffer[]>();
    for (const key of keys) {
      const bytes = Buffer.from(key, 'latin1');
      const same = byLength.get(bytes.length);
      if (same) same.push(bytes);
      else byLength.set(bytes.length, [bytes]);
    }
    pickers.set(keys, (picker = byLength));
  }
  return picker;
}

/** Whether bytes [start, start + key.length) of `buffer` are `key` (lower case), ASCII case ignored. */
function isKeyAt(buffer: Buffer, start: number, key: Buffer): boolean {
  for (let i = 0; i < key.length; i += 1) {
    const b = buffer[start + i]!;
    // Attribute names are ASCII (RFC 4512 keystring): folding A-Z alone is exact.
    if ((b >= 0x41 && b <= 0x5a ? b + 0x20 : b) !== key[i]) return false;
  }
  return true;
}

/** Whether bytes [start, end) of `buffer` are, ASCII case ignored, one of the picker's names. */
function isPicked(buffer: Buffer, start: number, end: number, picker: Picker): boolean {
  const candidates = picker.get(end - start);
  if (candidates === undefined) return false;
  for (const key of candidates) if (isKeyAt(buffer, start, key)) return true;
  return false;
}

/**
 * The attributes of a list {@link attributeList} wrote whose names are in `keys` (lower
 * case), as a list of their own: their bytes copied as they are, nothing decoded. A search
 * that names attributes (`uid conferenceBlob`, what TAPI and ILS clients ask for) sends this
 * instead of decoding the entry and encoding the selection again. Names are compared as
 * bytes where they lie; the same `keys` object (a kept selection's) is prepared once.
 */
export function selectAttributes(list: Buffer, keys: ReadonlySet<string>): Buffer {
  const picker = pickerOf(keys);
  // One pass over the headers notes the picked byte ranges (adjacent ones joined), a second
  // copies them: no header is read twice.
  let ranges = 0;
  let length = 0;
  const outerEnd = tlvEnd(list, 0, list.length);
  for (let at = contentStart; at < outerEnd; ) {
    const attributeEnd = tlvEnd(list, at, outerEnd);
    const nameEnd = tlvEnd(list, contentStart, attributeEnd);
    if (isPicked(list, contentStart, nameEnd, picker)) {
      length += attributeEnd - at;
      if (ranges > 0 && picked[ranges - 1] === at) picked[ranges - 1] = attributeEnd;
      else {
        if (ranges + 2 > picked.length) picked = growRanges(picked);
        picked[ranges++] = at;
        picked[ranges++] = attributeEnd;
      }
    }
    at = attributeEnd;
  }
  const out = Buffer.allocUnsafe(tlvSize(length));
  let to = writeHeader(out, 0, 0x30, length);
  for (let r = 0; r < ranges; r += 2) {
    const from = picked[r]!;
    const end = picked[r + 1]!;
    // Short ranges byte by byte: Buffer.copy makes a view object per call.
    if (end - from <= 64) for (let i = from; i < end; i += 1) out[to++] = list[i]!;
    else to += list.copy(out, to, from, end);
  }
  return out;
}

/** Picked ranges of {@link selectAttributes}, as start and end pairs: kept and reused (one search at a time runs it, synchronously). */
let picked: Int32Array = new Int32Array(64);

function growRanges(ranges: Int32Array): Int32Array {
  const grown = new Int32Array(ranges.length * 2);
  grown.set(ranges);
  return grown;
}

/**
 * Every attribute of a list {@link attributeList} wrote, with its values; `binary` tells by
 * name which values are bytes. The directory stores entries' attributes as such lists.
 */
export function readAttributeList(list: Buffer, binary: (name: string) => boolean): Array<EntryAttribute & { values: string[] }> {
  const attributes: Array<EntryAttribute & { values: string[] }> = [];
  walkAttributeList(list, (nameStart, nameEnd, setStart, setEnd) => {
    const name = list.toString('utf8', nameStart, nameEnd);
    const isBinary = binary(name);
    attributes.push({ name, values: setValues(list, setStart, setEnd, isBinary), binary: isBinary });
    return false;
  });
  return attributes;
}

/**
 * A whole SearchResultEntry LDAPMessage from an encoded attribute list, written into one
 * buffer: the message is the one allocation and the one copy of the attributes.
 */
export function searchEntryMessage(messageId: number, dn: string, list: Buffer): Buffer {
  const idLength = messageIdLength(messageId);
  const dnLength = Buffer.byteLength(dn, 'utf8');
  const op = tlvSize(dnLength) + list.length;
  const body = 2 + idLength + tlvSize(op);
  const out = Buffer.allocUnsafe(tlvSize(body));
  let at = writeHeader(out, 0, 0x30, body);
  at = writeMessageId(out, at, messageId, idLength);
  at = writeHeader(out, at, Op.searchResultEntry, op);
  at = writeHeader(out, at, 0x04, dnLength);
  at += out.write(dn, at, 'utf8');
  list.copy(out, at);
  return out;
}

/** The SearchResultDone of success, with no matched DN, message or controls: how most searches end. */
const DONE_SUCCESS = Buffer.from([Op.searchResultDone, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]);

/**
 * `before` (the search's entry messages not written yet, or none) followed by the LDAPMessage
 * of a successful SearchResultDone without controls, in one buffer: a search that finds one
 * entry is answered with one write of one buffer.
 */
export function searchDoneMessage(messageId: number, before: readonly Buffer[] = []): Buffer {
  const idLength = messageIdLength(messageId);
  const body = 2 + idLength + DONE_SUCCESS.length;
  let prefix = 0;
  for (const b of before) prefix += b.length;
  const out = Buffer.allocUnsafe(prefix + tlvSize(body));
  for (let i = 0, to = 0; i < before.length; to += before[i]!.length, i += 1) out.set(before[i]!, to);
  let at = writeHeader(out, prefix, 0x30, body);
  at = writeMessageId(out, at, messageId, idLength);
  DONE_SUCCESS.copy(out, at);
  return out;
}
