import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packSchema } from '../../src/inference/pack/schema.js';
import { lfsSha256, parseContentRange, resolveEndpoint, resolveUrl, sizeHeader } from '../../src/models/hub.js';
import { listRecipes, loadRecipe, planFiles, recipePackJson, revisionSchema, VARIANTS } from '../../src/models/recipe.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'mg-recipe-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('shipped recipes', () => {
  it('default and starter load, and make a valid pack.json for every variant', async () => {
    expect(await listRecipes()).toEqual(['default', 'starter']);
    for (const name of ['default', 'starter']) {
      const { recipe } = await loadRecipe(name);
      for (const v of VARIANTS) expect(packSchema.safeParse(recipePackJson(recipe, v)).success).toBe(true);
    }
  });

  it('default: bert-base-uncased (fill-mask export, pinned commit) as a CLS encoder + resnet-152 encoder', async () => {
    const { recipe } = await loadRecipe('default');
    expect(recipe.text).toMatchObject({ repo: 'Xenova/bert-base-uncased', revision: 'ab680a327acc2d9c3bd279ffb1cd43454181f743' });
    expect(recipe.image?.repo).toBe('Xenova/resnet-152');
    const pack = recipePackJson(recipe, 'fp32');
    expect(pack.text).toEqual({ path: 'text', kind: 'encoder', pooling: 'cls', maxLength: 128, onnx: 'onnx/model.onnx' });
    expect(pack.image).toEqual({ path: 'image', kind: 'encoder', onnx: 'onnx/model.onnx' });
  });

  it('starter: toxic-bert multi-label classifier with hateful labels + resnet-152 encoder', async () => {
    const { recipe } = await loadRecipe('starter');
    const pack = recipePackJson(recipe, 'int8');
    expect(pack.text).toMatchObject({
      kind: 'classifier',
      problemType: 'multi_label',
      hatefulLabels: ['identity_hate', 'insult', 'toxic'],
      combine: 'max',
      onnx: 'onnx/model_quantized.onnx',
    });
    expect(recipe.text?.revision).toMatch(/^[0-9a-f]{40}$/);
  });

  it('plans the files per modality with the variant ONNX last', async () => {
    const { recipe } = await loadRecipe('default');
    const plan = planFiles(recipe, 'fp16');
    expect(plan.map((f) => f.path)).toEqual([
      'text/config.json',
      'text/tokenizer.json',
      'text/tokenizer_config.json',
      'text/special_tokens_map.json',
      'text/vocab.txt',
      'text/onnx/model_fp16.onnx',
      'image/config.json',
      'image/preprocessor_config.json',
      'image/onnx/model_fp16.onnx',
    ]);
    expect(plan.filter((f) => f.optional).map((f) => f.file)).toEqual(['special_tokens_map.json', 'vocab.txt']);
  });
});

describe('recipe validation', () => {
  const write = async (name: string, data: unknown) => {
    const file = path.join(work, name);
    await writeFile(file, typeof data === 'string' ? data : JSON.stringify(data));
    return file;
  };
  const good = {
    name: 'mine',
    text: {
      repo: 'me/bert',
      revision: 'main',
      files: ['config.json'],
      onnx: { int8: 'onnx/model_int8.onnx' },
      model: { kind: 'encoder', pooling: 'mean' },
    },
  };

  it('a recipe file by path, with a custom ONNX file per variant', async () => {
    const { recipe } = await loadRecipe(await write('mine.json', good));
    expect(recipePackJson(recipe, 'int8').text?.onnx).toBe('onnx/model_int8.onnx');
    expect(recipePackJson(recipe, 'fp16').text?.onnx).toBe('onnx/model_fp16.onnx');
  });

  it('an unknown name is USAGE listing the known recipes', async () => {
    await expect(loadRecipe('nope')).rejects.toMatchObject({ code: 'USAGE', message: 'no recipe named "nope"', hint: 'known packs: default, starter' });
    await expect(loadRecipe('../etc/passwd')).rejects.toMatchObject({ code: 'USAGE' });
  });

  it('invalid recipes are PACK_INVALID naming the field', async () => {
    await expect(loadRecipe(await write('bad1.json', '{oops'))).rejects.toMatchObject({ code: 'PACK_INVALID' });
    const badRev = { ...good, text: { ...good.text, revision: '../../x' } };
    await expect(loadRecipe(await write('bad2.json', badRev))).rejects.toThrow(/text\.revision/);
    const badModel = { ...good, text: { ...good.text, model: { kind: 'encoder', pooling: 'max' } } };
    await expect(loadRecipe(await write('bad3.json', badModel))).rejects.toThrow(/pack\.json it makes is invalid: text\.pooling/);
    const badPath = { ...good, text: { ...good.text, files: ['../secret'] } };
    await expect(loadRecipe(await write('bad4.json', badPath))).rejects.toMatchObject({ code: 'PACK_INVALID' });
    await expect(loadRecipe(await write('bad5.json', { name: 'x' }))).rejects.toThrow(/needs "text" or "image"/);
  });

  it('revisions: a 40-hex commit or a branch/tag name', () => {
    expect(revisionSchema.safeParse('ab680a327acc2d9c3bd279ffb1cd43454181f743').success).toBe(true);
    expect(revisionSchema.safeParse('main').success).toBe(true);
    expect(revisionSchema.safeParse('refs/pr/3').success).toBe(true);
    expect(revisionSchema.safeParse('a/../b').success).toBe(false);
    expect(revisionSchema.safeParse('').success).toBe(false);
  });
});

describe('hub helpers', () => {
  it('endpoint: flag, else HF_ENDPOINT, else huggingface.co; refuses non-URLs and credentials', () => {
    expect(resolveEndpoint(undefined, {})).toBe('https://huggingface.co');
    expect(resolveEndpoint(undefined, { HF_ENDPOINT: 'https://hf-mirror.example/' })).toBe('https://hf-mirror.example');
    expect(resolveEndpoint('http://127.0.0.1:5000', { HF_ENDPOINT: 'https://x.example' })).toBe('http://127.0.0.1:5000');
    expect(() => resolveEndpoint('not a url', {})).toThrow(/not a URL/);
    expect(() => resolveEndpoint('ftp://x.example', {})).toThrow(/http/);
    expect(() => resolveEndpoint('https://user:pw@x.example', {})).toThrow(/credentials/);
  });

  it('resolve URL scheme, with the revision as one encoded segment', () => {
    expect(resolveUrl('https://huggingface.co', 'Xenova/resnet-152', 'main', 'onnx/model.onnx')).toBe(
      'https://huggingface.co/Xenova/resnet-152/resolve/main/onnx/model.onnx',
    );
    expect(resolveUrl('https://h.example', 'a/b', 'refs/pr/1', 'config.json')).toBe('https://h.example/a/b/resolve/refs%2Fpr%2F1/config.json');
  });

  it('LFS sha256 only from a 64-hex (E)Tag; sizes and Content-Range parsed', () => {
    const sha = 'f2c1ce78f723dfa260bf743c56596ddd5097e45081cdffa24820aab900855ed0';
    expect(lfsSha256(`"${sha}"`)).toBe(sha);
    expect(lfsSha256(`W/"${sha.toUpperCase()}"`)).toBe(sha);
    expect(lfsSha256('"0123456789abcdef0123456789abcdef01234567"')).toBeUndefined(); // a git blob id
    expect(lfsSha256(null)).toBeUndefined();
    expect(sizeHeader('110848579')).toBe(110848579);
    expect(sizeHeader('12a')).toBeUndefined();
    expect(parseContentRange('bytes 100-199/200')).toEqual({ start: 100, end: 199, total: 200 });
    expect(parseContentRange('bytes 0-9/*')).toEqual({ start: 0, end: 9, total: undefined });
    expect(parseContentRange('items 0-9/10')).toBeUndefined();
  });
});
