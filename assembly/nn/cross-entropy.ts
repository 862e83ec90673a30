// Summed cross-entropy of rows of logits against int32 targets: Σ_t (log Σ_j e^(L[t, j]) − L[t, y_t]),
// each row's log-sum-exp taken about its largest logit, everything in float64. The result pair
// [sum, first bad row or -1] is written as two f64 at work (a kernel that returns two values).

/** Bytes of workspace crossEntropy needs (the result pair). */
export function crossEntropyWorkBytes(): usize {
  return 16;
}

function crossEntropy<T>(rows: i32, cols: i32, l: usize, ldl: i32, targets: usize, inc: i32, work: usize): void {
  const es = <usize>sizeof<T>();
  for (let t = 0; t < rows; t++) {
    const y = load<i32>(targets + ((<usize>t * <usize>inc) << 2));
    if (y < 0 || y >= cols) {
      store<f64>(work, NaN);
      store<f64>(work, <f64>t, 8);
      return;
    }
  }
  let total = 0.0;
  for (let t = 0; t < rows; t++) {
    const row = l + <usize>t * <usize>ldl * es;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = <f64>load<T>(row + <usize>j * es);
      if (v > m || isNaN(v)) m = v;
    }
    let s = 0.0;
    for (let j = 0; j < cols; j++) s += Math.exp(<f64>load<T>(row + <usize>j * es) - m);
    const y = load<i32>(targets + ((<usize>t * <usize>inc) << 2));
    total += m + Math.log(s) - <f64>load<T>(row + <usize>y * es);
  }
  store<f64>(work, total);
  store<f64>(work, -1.0, 8);
}

/** Summed cross-entropy of the float32 rows x cols logits at l (ldl) against int32 targets (stride inc); [sum, bad] at work. */
export function scrossEntropy(rows: i32, cols: i32, l: usize, ldl: i32, targets: usize, inc: i32, work: usize): void {
  crossEntropy<f32>(rows, cols, l, ldl, targets, inc, work);
}

/** Summed cross-entropy of float64 logits; as scrossEntropy. */
export function dcrossEntropy(rows: i32, cols: i32, l: usize, ldl: i32, targets: usize, inc: i32, work: usize): void {
  crossEntropy<f64>(rows, cols, l, ldl, targets, inc, work);
}
