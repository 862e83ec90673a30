// Scaled row softmax in place with an optional causal mask: row r keeps columns j < n_r, where
// n_r = min(cols, max(0, r + offset + 1)) when causal and cols otherwise, and gets
// exp(scale·s_j − m) / Σ_k exp(scale·s_k − m) there (m the row's largest scale·s_j) and 0 in the
// masked columns; a row that keeps no column is all 0. Exponentials and sums in float64, kept in
// the workspace (cols f64), so every element is rounded once on store.

/** Bytes of workspace softmaxRows needs for rows of `cols` elements. */
export function softmaxRowsWorkBytes(cols: i32): usize {
  return <usize>cols << 3;
}

function softmaxRows<T>(rows: i32, cols: i32, s: usize, lds: i32, scale: f64, causal: i32, offset: i32, work: usize): void {
  const es = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const row = s + <usize>r * <usize>lds * es;
    let n = cols;
    if (causal != 0) {
      const keep = <i64>r + <i64>offset + 1;
      n = keep < 0 ? 0 : keep < <i64>cols ? <i32>keep : cols;
    }
    let m = -Infinity;
    for (let j = 0; j < n; j++) {
      const v = scale * <f64>load<T>(row + <usize>j * es);
      if (v > m || isNaN(v)) m = v;
    }
    let sum = 0.0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp(scale * <f64>load<T>(row + <usize>j * es) - m);
      store<f64>(work + (<usize>j << 3), e);
      sum += e;
    }
    for (let j = 0; j < n; j++) store<T>(row + <usize>j * es, <T>(load<f64>(work + (<usize>j << 3)) / sum));
    for (let j = n; j < cols; j++) store<T>(row + <usize>j * es, <T>0);
  }
}

/** Scaled, optionally causal row softmax in place on a float32 rows x cols matrix (float64 inside). */
export function ssoftmaxRows(rows: i32, cols: i32, s: usize, lds: i32, scale: f64, causal: i32, offset: i32, work: usize): void {
  softmaxRows<f32>(rows, cols, s, lds, scale, causal, offset, work);
}

/** Scaled, optionally causal row softmax in place on a float64 matrix; as ssoftmaxRows. */
export function dsoftmaxRows(rows: i32, cols: i32, s: usize, lds: i32, scale: f64, causal: i32, offset: i32, work: usize): void {
  softmaxRows<f64>(rows, cols, s, lds, scale, causal, offset, work);
}
