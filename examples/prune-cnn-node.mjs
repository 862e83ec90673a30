// Prune the shipped MNIST CNN with SparseGPT in Node, and measure what it costs in accuracy.
//   node examples/prune-cnn-node.mjs
// Run from a checkout of the repository after `npm install` and `npm run build` (the import of
// 'iobs' below is the package's own name, which Node resolves to dist/index.js inside it).
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { init, mnistInputs, mnistLabels, onnxTop1, parseIdx, pruneOnnx, sparseGPT } from 'iobs';

// The model and the digits ship with the repository in demo/ (see demo/README.md).
const demo = new URL('../demo/', import.meta.url);
const file = (name) => readFile(new URL(name, demo));
const idx = async (name) => parseIdx(gunzipSync(await file(`data/${name}`)), name);

// 1. Start the fastest kernel backend this engine supports (Wasm relaxed SIMD, Wasm SIMD, or plain JS).
const la = await init();
console.log(`backend: ${la.backendName}`);

// 2. The trained CNN, as ONNX bytes: two Conv layers, then two Gemm (fully connected) layers.
const model = new Uint8Array(await file('models/mnist-cnn.onnx'));

// 3. Calibration digits: the inputs each layer's Hessian H = XᵀX is accumulated from.
//    mnistInputs normalises the pixels as the model was trained, shape [N, 1, 28, 28].
const CALIBRATION = 512;
const calib = { input: 'input', data: mnistInputs(await idx('mnist-calib-images-idx3-ubyte.gz'), 0, CALIBRATION), sampleShape: [1, 28, 28] };

// 4. Held-out digits to score the model on, before and after.
const EVALUATION = 500;
const evalImages = { input: 'input', data: mnistInputs(await idx('mnist-eval-images-idx3-ubyte.gz'), 0, EVALUATION), sampleShape: [1, 28, 28] };
const evalLabels = mnistLabels(await idx('mnist-eval-labels-idx1-ubyte.gz'), 0, EVALUATION);

// 5. Top-1 accuracy of the dense model (onnxruntime-web runs it; iobs loads it on first use).
const dense = await onnxTop1(model, evalImages, evalLabels);
console.log(`dense  top-1: ${Math.round(dense * EVALUATION)}/${EVALUATION} digits (${(100 * dense).toFixed(1)}%)`);

// 6. Prune every layer to 50% sparsity, layer after layer, each calibrated on the model pruned so far.
const result = await pruneOnnx(la, model, calib, { pruner: sparseGPT(), pattern: '0.5' });
for (const l of result.layers) {
  console.log(`layer ${l.node}: ${l.rows}x${l.cols}, ${(100 * l.sparsity).toFixed(1)}% zero, relative error ${l.relError.toExponential(2)}`);
}

// 7. The pruned model is a valid .onnx file (result.bytes): score it the same way.
const pruned = await onnxTop1(result.bytes, evalImages, evalLabels);
console.log(`pruned top-1: ${Math.round(pruned * EVALUATION)}/${EVALUATION} digits (${(100 * pruned).toFixed(1)}%)`);
console.log(`${(100 * result.sparsity).toFixed(1)}% of the layers' weights are zero; pruning took ${result.seconds.toFixed(1)} s`);
