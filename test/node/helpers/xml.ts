// A strict little XML reader for the tests: enough of XML 1.0 to check that an SVG is
// well-formed (one root, matched tags, quoted unique attributes, only the five named entities
// and numeric references, no stray '<' or '&') and to walk the tree it describes.

/** An element of the parsed tree. */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (not its children's), entities decoded. */
  text: string;
}

const NAME = /^[A-Za-z_:][A-Za-z0-9_:.-]*/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, at: number): string {
  if (/<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(raw)) throw new Error(`xml: bad character data near offset ${at}: ${JSON.stringify(raw.slice(0, 60))}`);
  return raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e]);
}

/** Parses a whole document; throws with an offset on the first error. */
export function parseXml(src: string): XmlElement {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(`xml: ${what} at offset ${i}: ${JSON.stringify(src.slice(i, i + 40))}`);
  };
  const skipMisc = () => {
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0].length;
      i += ws;
      if (src.startsWith('<?', i)) {
        const end = src.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (src[i] !== '<') fail('expected <');
    i++;
    const name = NAME.exec(src.slice(i))?.[0] ?? fail('expected a tag name');
    i += name.length;
    const attrs: Record<string, string> = {};
    for (;;) {
      const ws = /^\s*/.exec(src.slice(i))![0].length;
      i += ws;
      if (src.startsWith('/>', i)) {
        i += 2;
        return { name, attrs, children: [], text: '' };
      }
      if (src[i] === '>') {
        i++;
        break;
      }
      if (ws === 0) fail('expected whitespace before an attribute');
      const an = NAME.exec(src.slice(i))?.[0] ?? fail('expected an attribute name');
      i += an.length;
      if (an in attrs) fail(`duplicate attribute ${an}`);
      const m = /^\s*=\s*(["'])/.exec(src.slice(i)) ?? fail('expected ="');
      i += m[0].length;
      const end = src.indexOf(m[1], i);
      if (end < 0) fail('unterminated attribute value');
      attrs[an] = decode(src.slice(i, end), i);
      i = end + 1;
    }
    const el: XmlElement = { name, attrs, children: [], text: '' };
    for (;;) {
      const lt = src.indexOf('<', i);
      if (lt < 0) fail(`unclosed <${name}>`);
      el.text += decode(src.slice(i, lt), i);
      i = lt;
      if (src.startsWith('</', i)) {
        i += 2;
        const close = NAME.exec(src.slice(i))?.[0];
        if (close !== name) fail(`</${close}> closes <${name}>`);
        i += name.length;
        const m = /^\s*>/.exec(src.slice(i)) ?? fail('expected >');
        i += m[0].length;
        return el;
      }
      if (src.startsWith('<!--', i)) {
        const end = src.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
        continue;
      }
      el.children.push(element());
    }
  };
  skipMisc();
  const root = element();
  skipMisc();
  if (i !== src.length) fail('content after the root element');
  return root;
}

/** All elements of the tree (root included), depth first. */
export function allElements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement) => {
    out.push(e);
    e.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** The text of an element and all its descendants. */
export function textOf(e: XmlElement): string {
  return e.text + e.children.map(textOf).join('');
}
