// Template for the Winograd F(2x2, 3x3) transforms of one SIMD level, VW tiles per vector. Included by level.h.
// Input transform V = Bᵀ d B and output transform Y = Aᵀ M A with
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  Aᵀ = [1 1 1 0; 0 1 -1 -1].

static CK_TARGET void CK_CAT(winograd_band, SUFFIX)(const ck_winograd *p, const float *phases, int32_t t0,
                                                   int32_t t1, float *v, float *mbuf, float *out) {
  const int32_t tw = p->tiles_w, c = p->c, m = p->m, nt_max = p->tiles_max;
  const ptrdiff_t plane = (ptrdiff_t)p->rows * p->wq, wq = p->wq;
  const ptrdiff_t vstride = (ptrdiff_t)c * nt_max, mstride = (ptrdiff_t)m * nt_max;
  // Input transform: channel by channel, VW tiles of a tile row at a time.
  for (int32_t ch = 0; ch < c; ch++) {
    const float *even = phases + (ptrdiff_t)ch * 2 * plane, *odd = even + plane;
    for (int32_t ty = t0 / tw; ty <= (t1 - 1) / tw; ty++) {
      const int32_t xa = ty == t0 / tw ? t0 % tw : 0, xb = ty == (t1 - 1) / tw ? (t1 - 1) % tw + 1 : tw;
      for (int32_t tx0 = xa; tx0 < xb; tx0 += VW) {
        VEC s[4][4];
        for (int i = 0; i < 4; i++) {
          const ptrdiff_t r = (ptrdiff_t)(2 * ty + i) * wq + tx0;
          const VEC d0 = VLOAD(even + r), d1 = VLOAD(odd + r), d2 = VLOAD(even + r + 1), d3 = VLOAD(odd + r + 1);
          s[i][0] = VSUB(d0, d2);
          s[i][1] = VADD(d1, d2);
          s[i][2] = VSUB(d2, d1);
          s[i][3] = VSUB(d1, d3);
        }
        const ptrdiff_t t = (ptrdiff_t)ty * tw + tx0 - t0;
        const int32_t left = xb - tx0;
        for (int j = 0; j < 4; j++) {
          const VEC r0 = VSUB(s[0][j], s[2][j]), r1 = VADD(s[1][j], s[2][j]), r2 = VSUB(s[2][j], s[1][j]),
                    r3 = VSUB(s[1][j], s[3][j]);
          float *base = v + (ptrdiff_t)ch * nt_max + t;
          if (left >= VW) {
            VSTORE(base + (0 * 4 + j) * vstride, r0);
            VSTORE(base + (1 * 4 + j) * vstride, r1);
            VSTORE(base + (2 * 4 + j) * vstride, r2);
            VSTORE(base + (3 * 4 + j) * vstride, r3);
          } else {
            VSTORE_PART(base + (0 * 4 + j) * vstride, r0, left);
            VSTORE_PART(base + (1 * 4 + j) * vstride, r1, left);
            VSTORE_PART(base + (2 * 4 + j) * vstride, r2, left);
            VSTORE_PART(base + (3 * 4 + j) * vstride, r3, left);
          }
        }
      }
    }
  }
  // The 16 products, one per transform position.
  const int32_t nt = t1 - t0;
  for (int xi = 0; xi < 16; xi++) {
    ck_gemm g = {p->packed + (ptrdiff_t)xi * p->packed_stride, p->koff, 0, 0, m, c, 0, p->level, nt_max};
    CK_CAT(gemm_run, SUFFIX)(&g, v + xi * vstride, nt, 1, mbuf + xi * mstride);
  }
  // Output transform, bias, stages, and the 2x2 blocks into place.
  for (int32_t f = 0; f < m; f++) {
    const float *mf = mbuf + (ptrdiff_t)f * nt_max;
    const VEC bias = VSET1(p->bias ? p->bias[f] : 0.0f);
    float *plane_out = out + (ptrdiff_t)f * p->out_h * p->out_w;
    for (int32_t ty = t0 / tw; ty <= (t1 - 1) / tw; ty++) {
      const int32_t xa = ty == t0 / tw ? t0 % tw : 0, xb = ty == (t1 - 1) / tw ? (t1 - 1) % tw + 1 : tw;
      for (int32_t tx0 = xa; tx0 < xb; tx0 += VW) {
        const ptrdiff_t t = (ptrdiff_t)ty * tw + tx0 - t0;
        VEC a[2][4];
        for (int j = 0; j < 4; j++) {
          const VEC m0 = VLOAD(mf + (0 * 4 + j) * mstride + t), m1 = VLOAD(mf + (1 * 4 + j) * mstride + t),
                    m2 = VLOAD(mf + (2 * 4 + j) * mstride + t), m3 = VLOAD(mf + (3 * 4 + j) * mstride + t);
          a[0][j] = VADD(VADD(m0, m1), m2);
          a[1][j] = VSUB(VSUB(m1, m2), m3);
        }
        float y[2][2][VW];
        for (int i = 0; i < 2; i++) {
          VEC y0 = VADD(VADD(VADD(a[i][0], a[i][1]), a[i][2]), bias);
          VEC y1 = VADD(VSUB(VSUB(a[i][1], a[i][2]), a[i][3]), bias);
          if (p->nstages) {
            y0 = STAGES_FN(y0, p->stages, p->nstages);
            y1 = STAGES_FN(y1, p->stages, p->nstages);
          }
          VSTORE(y[i][0], y0);
          VSTORE(y[i][1], y1);
        }
        const int32_t lanes = xb - tx0 < VW ? xb - tx0 : VW;
        for (int i = 0; i < 2; i++) {
          const int32_t oy = 2 * ty + i;
          if (oy >= p->out_h) break;
          float *row = plane_out + (ptrdiff_t)oy * p->out_w + 2 * tx0;
          const int32_t cols = p->out_w - 2 * tx0;
          for (int32_t l = 0; l < lanes; l++) {
            if (2 * l < cols) row[2 * l] = y[i][0][l];
            if (2 * l + 1 < cols) row[2 * l + 1] = y[i][1][l];
          }
        }
      }
    }
  }
}
