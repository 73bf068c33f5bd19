/**
 * The JSON files of a Hugging Face model folder, in the hub's own formats: tokenizer.json (tokenizers library
 * format), tokenizer_config.json, special_tokens_map.json, config.json, preprocessor_config.json.
 */

export interface BertConfigFields {
  architecture: 'BertModel' | 'BertForMaskedLM' | 'BertForSequenceClassification';
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
  initializerRange: number;
  labels?: string[];
  problemType?: 'multi_label_classification' | 'single_label_classification';
}

export function bertConfigJson(c: BertConfigFields): Record<string, unknown> {
  const cfg: Record<string, unknown> = {
    _name_or_path: 'memeguard-synth/bert',
    architectures: [c.architecture],
    attention_probs_dropout_prob: 0.1,
    classifier_dropout: null,
    gradient_checkpointing: false,
    hidden_act: 'gelu',
    hidden_dropout_prob: 0.1,
    hidden_size: c.hiddenSize,
    initializer_range: c.initializerRange,
    intermediate_size: c.intermediateSize,
    layer_norm_eps: c.layerNormEps,
    max_position_embeddings: c.maxPositions,
    model_type: 'bert',
    num_attention_heads: c.numHeads,
    num_hidden_layers: c.numLayers,
    pad_token_id: 0,
    position_embedding_type: 'absolute',
    transformers_version: '4.34.0',
    type_vocab_size: c.typeVocabSize,
    use_cache: true,
    vocab_size: c.vocabSize,
  };
  if (c.labels) {
    cfg.id2label = Object.fromEntries(c.labels.map((l, i) => [String(i), l]));
    cfg.label2id = Object.fromEntries(c.labels.map((l, i) => [l, i]));
    if (c.problemType) cfg.problem_type = c.problemType;
  }
  return cfg;
}

function addedToken(id: number, content: string) {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/** tokenizer.json: BertNormalizer (lowercase), BertPreTokenizer, WordPiece, TemplateProcessing [CLS] $A [SEP]. */
export function bertTokenizerJson(vocab: string[]): Record<string, unknown> {
  const id = (t: string) => {
    const i = vocab.indexOf(t);
    if (i < 0) throw new Error(`vocabulary lacks ${t}`);
    return i;
  };
  const special = (t: string) => ({ id: t, ids: [id(t)], tokens: [t] });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => addedToken(id(t), t)),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

export function bertTokenizerConfigJson(modelMaxLength: number): Record<string, unknown> {
  return {
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_lower_case: true,
    mask_token: '[MASK]',
    model_max_length: modelMaxLength,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}

export function specialTokensMapJson(): Record<string, unknown> {
  return { cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' };
}

/** vocab.txt, one token a line (the slow tokenizer's file; the hub folders carry it too). */
export function vocabTxt(vocab: string[]): string {
  return vocab.join('\n') + '\n';
}

export interface ResNetConfigFields {
  embeddingSize: number;
  hiddenSizes: number[];
  depths: number[];
  labels: string[];
}

export function resnetConfigJson(c: ResNetConfigFields): Record<string, unknown> {
  return {
    _name_or_path: 'memeguard-synth/resnet',
    architectures: ['ResNetForImageClassification'],
    depths: c.depths,
    downsample_in_first_stage: false,
    embedding_size: c.embeddingSize,
    hidden_act: 'relu',
    hidden_sizes: c.hiddenSizes,
    id2label: Object.fromEntries(c.labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(c.labels.map((l, i) => [l, i])),
    layer_type: 'bottleneck',
    model_type: 'resnet',
    num_channels: 3,
    out_features: null,
    stage_names: ['stem', ...c.depths.map((_, i) => `stage${i + 1}`)],
    transformers_version: '4.34.0',
  };
}

/** preprocessor_config.json as for microsoft/resnet-152 (ConvNextImageProcessor, shortest edge 224, crop 0.875). */
export function resnetPreprocessorConfigJson(): Record<string, unknown> {
  return {
    crop_pct: 0.875,
    do_normalize: true,
    do_rescale: true,
    do_resize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_processor_type: 'ConvNextImageProcessor',
    image_std: [0.229, 0.224, 0.225],
    resample: 3,
    rescale_factor: 1 / 255,
    size: { shortest_edge: 224 },
  };
}
