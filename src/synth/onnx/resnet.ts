/**
 * A bottleneck ResNet as an ONNX graph, laid out as torchvision / transformers ResNet exports: a 7×7/2 stem conv
 * with (folded or explicit) BatchNorm and ReLU, 3×3/2 max-pool, stages of bottleneck blocks (1×1 reduce, 3×3 with
 * the stage stride, 1×1 expand, projection shortcut where the shape changes, residual Add, ReLU), then
 * GlobalAveragePool → Flatten → Gemm → `logits` [batch, labels]. ResNet-152: depths [3, 8, 36, 3], hidden sizes
 * [256, 512, 1024, 2048], stem 64.
 */
import { GraphBuilder, attr } from './builder.js';
import { normalArray, streamFor } from './random.js';

export interface ResNetSpec {
  embeddingSize: number;
  hiddenSizes: number[];
  depths: number[];
  numLabels: number;
  imageSize?: number;
  /** 'folded': BatchNorm folded into the convolution bias (what constant-folding exporters write); 'explicit': BatchNormalization nodes. */
  batchNorm?: 'folded' | 'explicit';
  seed?: number;
}

export function buildResNetGraph(spec: ResNetSpec): GraphBuilder {
  if (spec.hiddenSizes.length !== spec.depths.length) throw new Error('hiddenSizes and depths differ in length');
  const seed = spec.seed ?? 1;
  const g = new GraphBuilder({ opset: 14, graphName: 'main_graph' });
  const size = spec.imageSize ?? 224;
  const random = (name: string, dims: number[], std: number, mean = 0) =>
    g.initializer(name, dims, () => normalArray(dims.reduce((a, b) => a * b, 1), std, streamFor(seed, name), mean));

  /** Conv (+ BN) (+ ReLU). He-initialised so that activations keep their scale through the depth. */
  const convBn = (x: string, prefix: string, cin: number, cout: number, k: number, stride: number, relu: boolean, gain = 1) => {
    const w = random(`${prefix}.convolution.weight`, [cout, cin, k, k], gain * Math.sqrt(2 / (cin * k * k)));
    const pads = Math.floor(k / 2);
    const convAttrs = {
      dilations: attr.ints([1, 1]),
      group: attr.int(1),
      kernel_shape: attr.ints([k, k]),
      pads: attr.ints([pads, pads, pads, pads]),
      strides: attr.ints([stride, stride]),
    };
    let y: string;
    if (spec.batchNorm === 'explicit') {
      const conv = g.node('Conv', [x, w], convAttrs);
      y = g.node(
        'BatchNormalization',
        [
          conv,
          random(`${prefix}.normalization.weight`, [cout], 0.1, 1),
          random(`${prefix}.normalization.bias`, [cout], 0.05),
          random(`${prefix}.normalization.running_mean`, [cout], 0.05),
          g.initializer(`${prefix}.normalization.running_var`, [cout], () => new Float32Array(cout).fill(1)),
        ],
        { epsilon: attr.float(1e-5), momentum: attr.float(0.9) },
      );
    } else {
      y = g.node('Conv', [x, w, random(`${prefix}.convolution.bias`, [cout], 0.05)], convAttrs);
    }
    return relu ? g.node('Relu', [y]) : y;
  };

  const pixels = g.input('pixel_values', 'float32', ['batch_size', 3, size, size]);
  let x = convBn(pixels, 'resnet.embedder.embedder', 3, spec.embeddingSize, 7, 2, true);
  x = g.node('MaxPool', [x], {
    ceil_mode: attr.int(0),
    kernel_shape: attr.ints([3, 3]),
    pads: attr.ints([1, 1, 1, 1]),
    strides: attr.ints([2, 2]),
  });
  let cin = spec.embeddingSize;
  const residualGain = 1 / Math.sqrt(spec.depths.reduce((a, b) => a + b, 0));
  spec.depths.forEach((depth, s) => {
    const cout = spec.hiddenSizes[s];
    const mid = Math.max(1, Math.floor(cout / 4));
    for (let b = 0; b < depth; b++) {
      const p = `resnet.encoder.stages.${s}.layers.${b}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      const shortcut =
        cin !== cout || stride !== 1 ? convBn(x, `${p}.shortcut`, cin, cout, 1, stride, false) : x;
      let y = convBn(x, `${p}.layer.0`, cin, mid, 1, 1, true);
      y = convBn(y, `${p}.layer.1`, mid, mid, 3, stride, true);
      // The last conv of a block starts small (as zero-init-residual training does) so that the residual stream
      // of a deep stack keeps a sane scale: gain 1/sqrt(number of blocks).
      y = convBn(y, `${p}.layer.2`, mid, cout, 1, 1, false, residualGain);
      x = g.node('Relu', [g.node('Add', [y, shortcut])]);
      cin = cout;
    }
  });
  const pooled = g.node('GlobalAveragePool', [x]);
  const features = g.node('Flatten', [pooled], { axis: attr.int(1) });
  g.node(
    'Gemm',
    [
      features,
      random('classifier.1.weight', [spec.numLabels, cin], 1 / Math.sqrt(cin)),
      random('classifier.1.bias', [spec.numLabels], 0.05),
    ],
    { alpha: attr.float(1), beta: attr.float(1), transB: attr.int(1) },
    'logits',
  );
  g.output('logits', 'float32', ['batch_size', spec.numLabels]);
  return g;
}
