// I-JSON parsing (RFC 7493) and JSON canonicalization (RFC 8785, JCS) for the subset of
// JSON that DESIGN.md "Wire formats (version 1) / Encoding" allows: objects, arrays,
// strings, booleans, null and safe integers. The parser follows the RFC 8259 grammar
// exactly and adds the I-JSON restrictions (no duplicate keys, no lone surrogates, no
// byte-order mark) plus ours (integers only, |n| <= 2^53-1, no -0, depth <= 64).
//
// Why hand-written: JSON.parse silently keeps the last of duplicate keys, accepts lone
// surrogate escapes and turns 1.0 / 1e3 / 2^53+1 into numbers we cannot tell apart from
// valid ones, so it cannot enforce I-JSON. This parser runs on every posted event and
// every replayed entry, so it walks the text once with charCodeAt and slices strings
// without escapes in one go (no regex, no per-character allocation).
//
// Decisions (documented in the README's wire-format section):
// - "-0" is rejected: it is not an I-JSON integer we ever emit (RFC 8785 serialises -0 as
//   0, so accepting it would let two different texts mean one canonical value), and no
//   field of ours is negative. canonicalize(-0) follows RFC 8785 and writes "0".
// - An escaped high surrogate must be followed by an escaped low surrogate and a raw
//   high surrogate by a raw low one; anything else is a lone surrogate.
// - Depth counts containers: a top-level [] is depth 1; 64 is the deepest allowed.

/** A text that is not I-JSON of our subset, or a value that cannot be canonicalized. */
export class CanonicalError extends Error {
  /** UTF-16 offset into the parsed text (parse errors only). */
  readonly position: number | undefined;
  /** JSON pointer of the offending value (canonicalize errors only). */
  readonly pointer: string | undefined;
  constructor(message: string, position?: number, pointer?: string) {
    super(message);
    this.name = 'CanonicalError';
    this.position = position;
    this.pointer = pointer;
  }
}

export const MAX_DEPTH = 64;

// Character codes used by the scanner.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

const hasOwn = Object.prototype.hasOwnProperty;

function describe(text: string, i: number): string {
  if (i >= text.length) return 'end of input';
  const c = text.charCodeAt(i);
  if (c < 0x20 || c === 0x7f) return `control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
  if (c >= 0xd800 && c <= 0xdfff) return `surrogate U+${c.toString(16).toUpperCase()}`;
  return `'${text[i]}'`;
}

class Parser {
  private i = 0;
  constructor(private readonly text: string) {}

  fail(problem: string, at = this.i): never {
    throw new CanonicalError(`invalid I-JSON at offset ${at}: ${problem}`, at);
  }

  parseDocument(): unknown {
    const text = this.text;
    if (text.charCodeAt(0) === 0xfeff) this.fail('byte-order mark (RFC 7493 §2.1 forbids it)');
    this.skipWs();
    if (this.i >= text.length) this.fail('empty document');
    const value = this.parseValue(0);
    this.skipWs();
    if (this.i < text.length) this.fail(`unexpected ${describe(text, this.i)} after the value`);
    return value;
  }

  private skipWs(): void {
    const text = this.text;
    let i = this.i;
    for (;;) {
      const c = text.charCodeAt(i);
      // RFC 8259 §2: only space, tab, LF and CR are whitespace.
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
  }

  private parseValue(depth: number): unknown {
    const text = this.text;
    const c = text.charCodeAt(this.i);
    switch (c) {
      case LBRACE:
        return this.parseObject(depth + 1);
      case LBRACKET:
        return this.parseArray(depth + 1);
      case QUOTE:
        return this.parseString();
      case 0x74: // t
        return this.literal('true', true);
      case 0x66: // f
        return this.literal('false', false);
      case 0x6e: // n
        return this.literal('null', null);
      default:
        if (c === MINUS || (c >= ZERO && c <= NINE)) return this.parseNumber();
        return this.fail(`unexpected ${describe(text, this.i)}, expected a value`);
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail(`unexpected ${describe(this.text, this.i)}, expected a value`);
    this.i += word.length;
    return value;
  }

  private parseObject(depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const text = this.text;
    const obj: Record<string, unknown> = {};
    this.i++; // '{'
    this.skipWs();
    if (text.charCodeAt(this.i) === RBRACE) {
      this.i++;
      return obj;
    }
    for (;;) {
      if (text.charCodeAt(this.i) !== QUOTE) this.fail(`unexpected ${describe(text, this.i)}, expected a string key`);
      const keyAt = this.i;
      const key = this.parseString();
      if (hasOwn.call(obj, key)) this.fail(`duplicate key ${JSON.stringify(key)} (RFC 7493 §2.3)`, keyAt);
      this.skipWs();
      if (text.charCodeAt(this.i) !== COLON) this.fail(`unexpected ${describe(text, this.i)}, expected ':'`);
      this.i++;
      this.skipWs();
      const value = this.parseValue(depth);
      // A plain assignment of "__proto__" would set the prototype instead of a key.
      if (key === '__proto__') {
        Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        obj[key] = value;
      }
      this.skipWs();
      const c = text.charCodeAt(this.i);
      if (c === COMMA) {
        this.i++;
        this.skipWs();
      } else if (c === RBRACE) {
        this.i++;
        return obj;
      } else {
        this.fail(`unexpected ${describe(text, this.i)}, expected ',' or '}'`);
      }
    }
  }

  private parseArray(depth: number): unknown[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const text = this.text;
    const arr: unknown[] = [];
    this.i++; // '['
    this.skipWs();
    if (text.charCodeAt(this.i) === RBRACKET) {
      this.i++;
      return arr;
    }
    for (;;) {
      arr.push(this.parseValue(depth));
      this.skipWs();
      const c = text.charCodeAt(this.i);
      if (c === COMMA) {
        this.i++;
        this.skipWs();
      } else if (c === RBRACKET) {
        this.i++;
        return arr;
      } else {
        this.fail(`unexpected ${describe(text, this.i)}, expected ',' or ']'`);
      }
    }
  }

  private parseNumber(): number {
    const text = this.text;
    const start = this.i;
    let i = start;
    let negative = false;
    if (text.charCodeAt(i) === MINUS) {
      negative = true;
      i++;
    }
    let c = text.charCodeAt(i);
    if (!(c >= ZERO && c <= NINE)) this.fail('a digit must follow \'-\'', i);
    let value = 0;
    const digitsStart = i;
    if (c === ZERO) {
      i++;
    } else {
      // Accumulating in a double is exact while the value stays below 2^53; we stop
      // caring about exactness after 16 digits because such a number is rejected anyway.
      while (c >= ZERO && c <= NINE) {
        value = value * 10 + (c - ZERO);
        i++;
        c = text.charCodeAt(i);
      }
    }
    c = text.charCodeAt(i);
    if (c === 0x2e || c === 0x65 || c === 0x45) {
      this.fail('non-integer number (only integers are allowed)', start);
    }
    if (c >= ZERO && c <= NINE) this.fail('leading zero in a number', start);
    if (i - digitsStart > 16 || value > Number.MAX_SAFE_INTEGER) {
      this.fail(`integer ${text.slice(start, i)} is beyond ±(2^53-1) (RFC 7493 §2.2)`, start);
    }
    if (negative && value === 0) this.fail('-0 is not allowed', start);
    this.i = i;
    return negative ? -value : value;
  }

  private parseString(): string {
    const text = this.text;
    const start = this.i + 1; // after the opening quote
    let i = start;
    const n = text.length;
    // Fast path: no escapes. Most of our strings (ids, hex, base64, names) end here.
    for (;;) {
      if (i >= n) this.fail('unterminated string', start - 1);
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        this.i = i + 1;
        return text.slice(start, i);
      }
      if (c === BACKSLASH) break;
      if (c < 0x20) this.fail(`unescaped ${describe(text, i)} in a string`, i);
      if (c >= 0xd800 && c <= 0xdfff) {
        i = this.rawSurrogate(c, i);
        continue;
      }
      i++;
    }
    // Slow path: build the string from the plain run so far plus unescaped pieces.
    let out = text.slice(start, i);
    let runStart = i;
    for (;;) {
      if (i >= n) this.fail('unterminated string', start - 1);
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        out += text.slice(runStart, i);
        this.i = i + 1;
        return out;
      }
      if (c === BACKSLASH) {
        out += text.slice(runStart, i);
        const e = text.charCodeAt(i + 1);
        switch (e) {
          case QUOTE: out += '"'; i += 2; break;
          case BACKSLASH: out += '\\'; i += 2; break;
          case SLASH: out += '/'; i += 2; break;
          case 0x62: out += '\b'; i += 2; break;
          case 0x66: out += '\f'; i += 2; break;
          case 0x6e: out += '\n'; i += 2; break;
          case 0x72: out += '\r'; i += 2; break;
          case 0x74: out += '\t'; i += 2; break;
          case 0x75: { // u
            const u = this.hex4(i + 2);
            if (u >= 0xd800 && u <= 0xdbff) {
              // A high surrogate escape needs a low surrogate escape right after it.
              if (text.charCodeAt(i + 6) !== BACKSLASH || text.charCodeAt(i + 7) !== 0x75) {
                this.fail(`lone surrogate \\u${text.slice(i + 2, i + 6)} (RFC 7493 §2.1)`, i);
              }
              const lo = this.hex4(i + 8);
              if (lo < 0xdc00 || lo > 0xdfff) this.fail(`lone surrogate \\u${text.slice(i + 2, i + 6)} (RFC 7493 §2.1)`, i);
              out += String.fromCharCode(u, lo);
              i += 12;
            } else if (u >= 0xdc00 && u <= 0xdfff) {
              this.fail(`lone surrogate \\u${text.slice(i + 2, i + 6)} (RFC 7493 §2.1)`, i);
            } else {
              out += String.fromCharCode(u);
              i += 6;
            }
            break;
          }
          default:
            this.fail(`invalid escape '\\${i + 1 < n ? text[i + 1] : ''}'`, i);
        }
        runStart = i;
        continue;
      }
      if (c < 0x20) this.fail(`unescaped ${describe(text, i)} in a string`, i);
      if (c >= 0xd800 && c <= 0xdfff) {
        i = this.rawSurrogate(c, i);
        continue;
      }
      i++;
    }
  }

  /** A raw surrogate code unit at i must be a high one followed by a low one. */
  private rawSurrogate(c: number, i: number): number {
    if (c <= 0xdbff) {
      const d = this.text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) return i + 2;
    }
    return this.fail(`lone surrogate U+${c.toString(16).toUpperCase()} (RFC 7493 §2.1)`, i);
  }

  private hex4(at: number): number {
    const text = this.text;
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = text.charCodeAt(at + k);
      let d: number;
      if (c >= ZERO && c <= NINE) d = c - ZERO;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57; // a-f
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37; // A-F
      else return this.fail('invalid \\u escape (needs 4 hex digits)', at - 2);
      v = (v << 4) | d;
    }
    return v;
  }
}

/**
 * Parses I-JSON text of our subset (see the file comment), throwing CanonicalError with
 * the offset and the problem on anything else.
 */
export function parseIJson(text: string): unknown {
  if (typeof text !== 'string') throw new TypeError('parseIJson: parameter "text" must be a string');
  return new Parser(text).parseDocument();
}

const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decodes UTF-8 strictly (invalid sequences, which include encoded surrogates, throw) and
 * parses. ignoreBOM keeps a leading BOM in the text so that the parser rejects it rather
 * than the decoder silently dropping it.
 */
export function parseIJsonBytes(bytes: Uint8Array): unknown {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('parseIJsonBytes: parameter "bytes" must be a Uint8Array');
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw new CanonicalError('invalid I-JSON: the bytes are not valid UTF-8 (RFC 7493 §2.1)', 0);
  }
  return parseIJson(text);
}

// --- RFC 8785 serialisation ---

type WellFormedString = string & { isWellFormed?: () => boolean };
const LONE_SURROGATE = /\p{Cs}/u; // with the u flag a paired surrogate is one non-Cs code point

function isWellFormed(s: string): boolean {
  const f = (s as WellFormedString).isWellFormed;
  return typeof f === 'function' ? f.call(s) : !LONE_SURROGATE.test(s);
}

function pointerOf(path: (string | number)[]): string {
  let p = '';
  for (const seg of path) p += '/' + String(seg).replace(/~/g, '~0').replace(/\//g, '~1');
  return p;
}

class CanonicalizeFailure {
  path: (string | number)[] = [];
  constructor(readonly problem: string) {}
}

function serialize(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      // RFC 8785 §3.2.2.2 defines string serialisation as ECMAScript JSON.stringify's
      // (QuoteJSONString); lone surrogates would be escaped by it, but they are not
      // I-JSON, so refuse them instead.
      if (!isWellFormed(value)) throw new CanonicalizeFailure('lone surrogate in a string');
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) {
        throw new CanonicalizeFailure(
          Number.isInteger(value) ? `integer ${value} is beyond ±(2^53-1)` : `non-integer number ${value}`,
        );
      }
      return String(value); // String(-0) === "0", as RFC 8785 §3.2.2.3 requires
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new CanonicalizeFailure(`nesting deeper than ${MAX_DEPTH} (or a cycle)`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let k = 0; k < value.length; k++) {
          if (k > 0) out += ',';
          try {
            out += serialize(value[k], depth + 1);
          } catch (e) {
            if (e instanceof CanonicalizeFailure) e.path.unshift(k);
            throw e;
          }
        }
        return out + ']';
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new CanonicalizeFailure(`unsupported object type ${(value as object).constructor?.name ?? 'unknown'}`);
      }
      // Default sort compares UTF-16 code units, which is exactly RFC 8785 §3.2.3.
      const keys = Object.keys(value).sort();
      const obj = value as Record<string, unknown>;
      let out = '{';
      for (let k = 0; k < keys.length; k++) {
        const key = keys[k]!;
        if (!isWellFormed(key)) {
          const f = new CanonicalizeFailure('lone surrogate in a key');
          f.path.unshift(key);
          throw f;
        }
        if (k > 0) out += ',';
        try {
          out += JSON.stringify(key) + ':' + serialize(obj[key], depth + 1);
        } catch (e) {
          if (e instanceof CanonicalizeFailure) e.path.unshift(key);
          throw e;
        }
      }
      return out + '}';
    }
    default:
      throw new CanonicalizeFailure(`unsupported value of type ${typeof value}`);
  }
}

/**
 * RFC 8785 canonical JSON of a value of our subset. Throws CanonicalError naming the JSON
 * pointer of the first value that is not allowed (floats, unsafe integers, undefined,
 * functions, symbols, bigints, non-plain objects, lone surrogates, depth > 64).
 */
export function canonicalize(value: unknown): string {
  try {
    return serialize(value, 0);
  } catch (e) {
    if (e instanceof CanonicalizeFailure) {
      const pointer = pointerOf(e.path);
      throw new CanonicalError(`canonicalize: parameter "value" at ${pointer || '/'}: ${e.problem}`, undefined, pointer);
    }
    throw e;
  }
}

const encoder = new TextEncoder();

/** UTF-8 bytes of canonicalize(value): what is hashed and signed. */
export function canonicalBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalize(value));
}
