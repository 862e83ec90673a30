// im2col: the patches of a batch of images as rows of a matrix, so that a 2-D convolution is a
// matrix product. Image b of X (row b, C·H·W values in C order) gives outH·outW rows of P, row
// (b·outH + oy)·outW + ox; column (c·kh + ky)·kw + kx of that row is the input pixel
// X[b, c, oy·sh − padTop + ky·dh, ox·sw − padLeft + kx·dw], or 0 where that falls in the padding.
// The column order is the flattening of a Conv weight [out, C, kh, kw], so y = P Wᵀ and the
// layer's Hessian is PᵀP. Values are copied, never rounded.

/** P := im2col(X) for T elements (see the file comment); geometry already checked by the caller. */
function im2col<T>(
  n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  dh: i32, dw: i32, outH: i32, outW: i32, x: usize, ldx: i32, p: usize, ldp: i32,
): void {
  const es = sizeof<T>();
  const plane = <usize>h * <usize>w;
  let row = p;
  for (let b = 0; b < n; b++) {
    const image = x + <usize>b * <usize>ldx * es;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * sh - padTop;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * sw - padLeft;
        let out = row;
        for (let ch = 0; ch < c; ch++) {
          const src = image + <usize>ch * plane * es;
          for (let ky = 0; ky < kh; ky++) {
            const iy = y0 + ky * dh;
            if (iy < 0 || iy >= h) {
              memory.fill(out, 0, <usize>kw * es);
              out += <usize>kw * es;
              continue;
            }
            const line = src + <usize>iy * <usize>w * es;
            for (let kx = 0; kx < kw; kx++) {
              const ix = x0 + kx * dw;
              store<T>(out, ix >= 0 && ix < w ? load<T>(line + <usize>ix * es) : <T>0);
              out += es;
            }
          }
        }
        row += <usize>ldp * es;
      }
    }
  }
}

/**
 * P := im2col(X) for float32: X is n x (c·h·w) (leading dimension ldx), P is (n·outH·outW) x
 * (c·kh·kw) (leading dimension ldp); strides sh, sw, pads padTop, padLeft (the bottom and right
 * pads only set outH, outW), dilations dh, dw. X and P must not overlap.
 */
export function sim2col(
  n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  dh: i32, dw: i32, outH: i32, outW: i32, x: usize, ldx: i32, p: usize, ldp: i32,
): void {
  im2col<f32>(n, c, h, w, kh, kw, sh, sw, padTop, padLeft, dh, dw, outH, outW, x, ldx, p, ldp);
}

/** P := im2col(X) for float64 (arguments as for sim2col). */
export function dim2col(
  n: i32, c: i32, h: i32, w: i32, kh: i32, kw: i32, sh: i32, sw: i32, padTop: i32, padLeft: i32,
  dh: i32, dw: i32, outH: i32, outW: i32, x: usize, ldx: i32, p: usize, ldp: i32,
): void {
  im2col<f64>(n, c, h, w, kh, kw, sh, sw, padTop, padLeft, dh, dw, outH, outW, x, ldx, p, ldp);
}
