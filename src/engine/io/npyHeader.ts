/**
 * The .npy header: a Python dict literal, `{'descr': '<f4', 'fortran_order': False, 'shape': (1,
 * 3, 224, 224), }`, read as numpy reads it (`ast.literal_eval`, then exactly these three keys),
 * by a small parser of the few literals it can hold. Regular expressions took the first of two
 * 'descr' keys where numpy takes the last; a key given twice is refused here.
 */

/** The header's fields. */
export interface NpyHeader {
  descr: string;
  fortranOrder: boolean;
  shape: number[];
}

/** Raised for a header that is not the dict numpy writes. */
export class NpyHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NpyHeaderError';
  }
}

type Literal = string | number | boolean | null | Literal[];

/** Parses the header text; the message of a failure says what is wrong with it. */
export function parseNpyHeader(text: string): NpyHeader {
  const parser = new LiteralParser(text);
  const fields = parser.dict();
  parser.end();
  const keys = Object.keys(fields).sort();
  if (keys.join() !== 'descr,fortran_order,shape') {
    throw new NpyHeaderError(
      `the header has keys ${keys.map(k => `'${k}'`).join(', ') || 'none'}; numpy writes exactly 'descr', 'fortran_order' and 'shape'`
    );
  }
  const { descr, fortran_order: fortranOrder, shape } = fields;
  if (typeof descr !== 'string') {
    throw new NpyHeaderError(
      "the header's 'descr' is not a plain dtype string (a structured dtype?); save a plain numeric array"
    );
  }
  if (typeof fortranOrder !== 'boolean') {
    throw new NpyHeaderError(
      "the header's 'fortran_order' is not True or False"
    );
  }
  if (
    !Array.isArray(shape) ||
    !shape.every(d => typeof d === 'number' && Number.isSafeInteger(d))
  ) {
    throw new NpyHeaderError(
      "the header's 'shape' is not a tuple of whole numbers below 2**53"
    );
  }
  const dims = shape as number[];
  if (dims.some(d => d < 0)) {
    throw new NpyHeaderError(
      `the header's shape (${dims.join(', ')}) has a negative dimension`
    );
  }
  return { descr, fortranOrder, shape: dims };
}

/** A recursive-descent parser of Python literals: strings, integers, True/False/None, tuples, lists, dicts. */
class LiteralParser {
  constructor(private readonly text: string) {}

  dict(): Record<string, Literal> {
    this.expect('{');
    const fields: Record<string, Literal> = {};
    while (!this.take('}')) {
      const key = this.value();
      if (typeof key !== 'string') {
        throw this.error('a dict key that is not a string');
      }
      if (Object.prototype.hasOwnProperty.call(fields, key)) {
        throw new NpyHeaderError(`the header gives '${key}' twice`);
      }
      this.expect(':');
      fields[key] = this.value();
      if (!this.take(',')) {
        this.expect('}');
        break;
      }
    }
    return fields;
  }

  end(): void {
    this.skipSpace();
    if (this.at < this.text.length) {
      throw this.error('text after the dict');
    }
  }

  private value(): Literal {
    this.skipSpace();
    const c = this.text[this.at];
    if (c === "'" || c === '"') {
      return this.string(c);
    }
    if (c === '(' || c === '[') {
      return this.sequence(c === '(' ? ')' : ']');
    }
    const word =
      /^(?:[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?L?|True|False|None)/.exec(
        this.text.slice(this.at, this.at + 40)
      )?.[0];
    if (word === undefined) {
      throw this.error(
        'a value that is not a string, number, True, False or a tuple'
      );
    }
    this.at += word.length;
    if (word === 'True' || word === 'False') {
      return word === 'True';
    }
    if (word === 'None') {
      return null;
    }
    // Python 2 wrote long integers with an L suffix ("(3L, 224L)"); numpy still reads them.
    return Number(word.replace(/L$/, ''));
  }

  private string(quote: string): string {
    let out = '';
    for (this.at++; this.at < this.text.length; this.at++) {
      const c = this.text[this.at];
      if (c === quote) {
        this.at++;
        return out;
      }
      if (c === '\\') {
        this.at++;
      }
      out += this.text[this.at] ?? '';
    }
    throw this.error('a string that never ends');
  }

  private sequence(close: string): Literal[] {
    this.at++;
    const items: Literal[] = [];
    while (!this.take(close)) {
      items.push(this.value());
      if (!this.take(',')) {
        this.expect(close);
        break;
      }
    }
    return items;
  }

  private take(token: string): boolean {
    this.skipSpace();
    if (this.text.startsWith(token, this.at)) {
      this.at += token.length;
      return true;
    }
    return false;
  }

  private expect(token: string): void {
    if (!this.take(token)) {
      throw this.error(`'${token}' expected`);
    }
  }

  private skipSpace(): void {
    while (/\s/.test(this.text[this.at] ?? '')) {
      this.at++;
    }
  }

  private error(what: string): NpyHeaderError {
    return new NpyHeaderError(
      `the header is not the dict numpy writes: ${what} at character ${this.at}`
    );
  }

  private at = 0;
}
