// A Llama tokenizer from the objects of tokenizer.json and tokenizer_config.json, through
// @huggingface/tokenizers (pure TypeScript: no file access, so it runs in Node, Deno and browsers).
// One departure from the file as shipped can be asked for: dropping the Prepend normaliser, the
// rule that puts "▁" before the text. The TinyStories checkpoint in shared/data was trained on
// stories without it (its data README says so), so callers scoring that checkpoint pass
// { prepend: false }; the default keeps tokenizer.json as it is, which is what transformers does.
import { Tokenizer } from '@huggingface/tokenizers';
import { rangeError, typeError } from '../../core/errors.js';

/** Options of LlamaTokenizer. */
export interface LlamaTokenizerOptions {
  /**
   * Keep tokenizer.json's Prepend normaliser (default true, as transformers does); false drops it,
   * so the first word is encoded without a leading "▁" (what the TinyStories checkpoint expects).
   */
  prepend?: boolean;
}

/** tokenizer.json's normaliser with every Prepend normaliser taken out (a copy; the input is not changed). */
function withoutPrepend(normalizer: unknown): unknown {
  if (normalizer === null || typeof normalizer !== 'object') return normalizer;
  const n = normalizer as { type?: string; normalizers?: unknown[] };
  if (n.type === 'Prepend') return null;
  if (n.type === 'Sequence' && Array.isArray(n.normalizers)) {
    return { ...n, normalizers: n.normalizers.map(withoutPrepend).filter((x) => x !== null) };
  }
  return normalizer;
}

/** The content of a special token entry of tokenizer_config.json (a string or an AddedToken object). */
function tokenContent(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v !== null && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') return (v as { content: string }).content;
  return null;
}

/**
 * A Llama tokenizer: encode text to ids (without special tokens), a story to ids starting with BOS,
 * and ids back to text.
 * @example
 * const tok = new LlamaTokenizer(tokenizerJson, tokenizerConfigJson, { prepend: false });
 * tok.encodeStory('Once upon a time');   // [1, …]: BOS, then the story's tokens
 */
export class LlamaTokenizer {
  readonly #tokenizer: Tokenizer;
  /** The BOS token's id (tokenizer_config.json's bos_token). */
  readonly bosId: number;
  /** The EOS token's id, or null when the config names none. */
  readonly eosId: number | null;

  constructor(tokenizerJson: unknown, tokenizerConfigJson: unknown, options: LlamaTokenizerOptions = {}) {
    const fn = 'LlamaTokenizer';
    if (tokenizerJson === null || typeof tokenizerJson !== 'object') throw typeError(fn, 'tokenizerJson', tokenizerJson, 'the parsed tokenizer.json object');
    if (tokenizerConfigJson === null || typeof tokenizerConfigJson !== 'object') throw typeError(fn, 'tokenizerConfigJson', tokenizerConfigJson, 'the parsed tokenizer_config.json object');
    const prepend = options.prepend ?? true;
    if (typeof prepend !== 'boolean') throw typeError(fn, 'options.prepend', prepend, 'a boolean');
    const json = tokenizerJson as { normalizer?: unknown };
    const used = prepend ? json : { ...json, normalizer: withoutPrepend(json.normalizer) };
    this.#tokenizer = new Tokenizer(used, tokenizerConfigJson);
    const config = tokenizerConfigJson as Record<string, unknown>;
    const bos = tokenContent(config.bos_token);
    const bosId = bos === null ? undefined : this.#tokenizer.token_to_id(bos);
    if (bosId === undefined) throw rangeError(fn, 'tokenizerConfigJson.bos_token', config.bos_token, 'a token of the vocabulary');
    this.bosId = bosId;
    const eos = tokenContent(config.eos_token);
    this.eosId = eos === null ? null : this.#tokenizer.token_to_id(eos) ?? null;
  }

  /** The token ids of text, without special tokens. */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw typeError('LlamaTokenizer.encode', 'text', text, 'a string');
    return this.#tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** BOS followed by the token ids of a story. */
  encodeStory(text: string): number[] {
    return [this.bosId, ...this.encode(text)];
  }

  /** Text of token ids (special tokens skipped). */
  decode(ids: readonly number[]): string {
    return this.#tokenizer.decode([...ids], { skip_special_tokens: true });
  }
}
