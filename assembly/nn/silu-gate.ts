// The gated MLP's activation: Y := silu(G) ⊙ U with silu(g) = g / (1 + e^(−g)), in float64, each
// element rounded once on store. Y may be G or U (the same address and leading dimension).

function siluGate<T>(rows: i32, cols: i32, g: usize, ldg: i32, u: usize, ldu: i32, y: usize, ldy: i32): void {
  const es = <usize>sizeof<T>();
  for (let i = 0; i < rows; i++) {
    const gr = g + <usize>i * <usize>ldg * es, ur = u + <usize>i * <usize>ldu * es, yr = y + <usize>i * <usize>ldy * es;
    for (let j = 0; j < cols; j++) {
      const o = <usize>j * es;
      const v = <f64>load<T>(gr + o);
      store<T>(yr + o, <T>((v / (1.0 + Math.exp(-v))) * <f64>load<T>(ur + o)));
    }
  }
}

/** Y := silu(G) ⊙ U on float32 rows x cols matrices (computed in float64). */
export function ssiluGate(rows: i32, cols: i32, g: usize, ldg: i32, u: usize, ldu: i32, y: usize, ldy: i32): void {
  siluGate<f32>(rows, cols, g, ldg, u, ldu, y, ldy);
}

/** Y := silu(G) ⊙ U on float64 rows x cols matrices. */
export function dsiluGate(rows: i32, cols: i32, g: usize, ldg: i32, u: usize, ldu: i32, y: usize, ldy: i32): void {
  siluGate<f64>(rows, cols, g, ldg, u, ldu, y, ldy);
}
