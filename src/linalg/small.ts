// Host-side float64 linear algebra for the tiny matrices of a randomized range finder (m x m,
// m a few dozen): a symmetric eigendecomposition, in plain JS because its m³ is negligible next
// to the GEMMs around it and m² numbers cross to the host where the n x m blocks do not.

/**
 * Eigenvalues and eigenvectors of the symmetric m x m row-major matrix A (not modified) by cyclic
 * Jacobi rotations, to about machine precision; values sorted in decreasing order and column k
 * of vectors (row-major m x m) belongs to values[k].
 * @example
 * const { values, vectors } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);   // values [3, 1]
 */
export function symmetricEigen(A: Float64Array, m: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(A), v = new Float64Array(m * m);
  for (let i = 0; i < m; i++) v[i * m + i] = 1;
  for (let sweep = 0; sweep < 64; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < m; i++) {
      diag += a[i * m + i] * a[i * m + i];
      for (let j = i + 1; j < m; j++) off += a[i * m + j] * a[i * m + j];
    }
    if (off <= 1e-30 * diag || off === 0) break;
    for (let p = 0; p < m; p++) {
      for (let q = p + 1; q < m; q++) {
        const apq = a[p * m + q];
        if (apq === 0) continue;
        // The rotation that zeroes a[p][q]: tan of its angle t solves t² + 2θt − 1 = 0.
        const theta = (a[q * m + q] - a[p * m + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let k = 0; k < m; k++) {
          const akp = a[k * m + p], akq = a[k * m + q];
          a[k * m + p] = c * akp - s * akq;
          a[k * m + q] = s * akp + c * akq;
        }
        for (let k = 0; k < m; k++) {
          const apk = a[p * m + k], aqk = a[q * m + k];
          a[p * m + k] = c * apk - s * aqk;
          a[q * m + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < m; k++) {
          const vkp = v[k * m + p], vkq = v[k * m + q];
          v[k * m + p] = c * vkp - s * vkq;
          v[k * m + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => a[j * m + j] - a[i * m + i]);
  const values = new Float64Array(m), vectors = new Float64Array(m * m);
  order.forEach((src, k) => {
    values[k] = a[src * m + src];
    for (let i = 0; i < m; i++) vectors[i * m + k] = v[i * m + src];
  });
  return { values, vectors };
}
