// The Llama config checks (every unsupported field is an error naming it and its value), the
// tokenizer wrapper (BOS from tokenizer_config.json, the Prepend normaliser dropped on request),
// and the story split of the perplexity protocol.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseLlamaConfig } from '../../../src/models/llama/config.js';
import { splitStories } from '../../../src/models/llama/perplexity.js';
import { LlamaTokenizer } from '../../../src/models/llama/tokenizer.js';
import { NO_SHARED_DATA, SHARED_DATA, sharedData } from '../shared-data.js';

const BASE = {
  architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, vocab_size: 100, max_position_embeddings: 32,
};

describe('parseLlamaConfig', () => {
  it('reads the fields and applies transformers’ defaults', () => {
    expect(parseLlamaConfig(BASE)).toEqual({
      hiddenSize: 64, intermediateSize: 96, numLayers: 2, numHeads: 4, numKvHeads: 2, headDim: 16, rmsNormEps: 1e-5, ropeTheta: 10000,
      vocabSize: 100, maxPositionEmbeddings: 32, tieWordEmbeddings: false, bosTokenId: null, eosTokenId: null,
    });
    expect(parseLlamaConfig({ ...BASE, head_dim: 8, eos_token_id: [2, 7], num_key_value_heads: undefined }).headDim).toBe(8);
    expect(parseLlamaConfig({ ...BASE, eos_token_id: [2, 7] }).eosTokenId).toBe(2);
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['model_type', { model_type: 'mistral' }, /argument config.model_type must be 'llama'; got "mistral"/],
    ['architectures', { architectures: ['LlamaModel'] }, /config.architectures must be a list holding 'LlamaForCausalLM'/],
    ['hidden_act', { hidden_act: 'gelu' }, /config.hidden_act must be 'silu' .*; got "gelu"/],
    ['attention_bias', { attention_bias: true }, /config.attention_bias must be false/],
    ['mlp_bias', { mlp_bias: true }, /config.mlp_bias must be false/],
    ['rope_scaling', { rope_scaling: { type: 'linear', factor: 2 } }, /config.rope_scaling must be null/],
    ['num_key_value_heads', { num_key_value_heads: 3 }, /config.num_key_value_heads must be a divisor of num_attention_heads = 4; got 3/],
    ['head_dim', { head_dim: 7 }, /config.head_dim must be an even integer/],
    ['hidden_size', { hidden_size: 66 }, /config.hidden_size must be a multiple of num_attention_heads = 4/],
    ['missing', { vocab_size: undefined }, /config.vocab_size must be present/],
    ['rms_norm_eps', { rms_norm_eps: -1 }, /config.rms_norm_eps must be a finite number > 0; got -1/],
    ['tie_word_embeddings', { tie_word_embeddings: 'yes' }, /config.tie_word_embeddings must be a boolean/],
  ];
  for (const [what, change, pattern] of bad) {
    it(`refuses ${what}, naming the field and value`, () => {
      expect(() => parseLlamaConfig({ ...BASE, ...change })).toThrow(pattern);
    });
  }
});

describe('splitStories', () => {
  it('splits at <|endoftext|>, trims, drops empty stories', () => {
    expect(splitStories('One.\n<|endoftext|>\nTwo\nlines.\n<|endoftext|>\n\n')).toEqual(['One.', 'Two\nlines.']);
  });
});

describe.skipIf(!SHARED_DATA)(`LlamaTokenizer on tinystories-llama${NO_SHARED_DATA}`, () => {
  const json = (p: string) => JSON.parse(readFileSync(sharedData(p), 'utf8'));
  it('BOS is <|start_story|> = 1, as config.json says; Prepend dropped on request', () => {
    const tj = json('tinystories-llama/tokenizer.json'), tc = json('tinystories-llama/tokenizer_config.json');
    const config = parseLlamaConfig(json('tinystories-llama/config.json'));
    const kept = new LlamaTokenizer(tj, tc), dropped = new LlamaTokenizer(tj, tc, { prepend: false });
    expect(kept.bosId).toBe(1);
    expect(config.bosTokenId).toBe(1);
    expect(kept.eosId).toBe(2);
    // With the Prepend normaliser the text starts with a lone "▁" token (id 80); without it, it does not.
    expect(kept.encodeStory('Spot. Spot saw the shiny car').slice(0, 3)).toEqual([1, 80, 1030]);
    expect(dropped.encodeStory('Spot. Spot saw the shiny car').slice(0, 2)).toEqual([1, 1030]);
    expect(dropped.decode(dropped.encodeStory('Spot saw the car.'))).toBe('Spot saw the car.');
    // The tokenizer.json object is not changed by dropping the normaliser.
    expect(tj.normalizer.normalizers[0].type).toBe('Prepend');
  });
});
