/**
 * erf(x) in float64, accurate to within one unit in the last place: a port of the algorithm
 * of FreeBSD/Sun fdlibm's s_erf.c (the one behind glibc's and most C libraries' `erf`, hence
 * behind PyTorch's scalar `std::erf`). Rational approximations on four ranges of |x|:
 *
 *   [0, 0.84375)      erf(x) = x + x * R(x²)
 *   [0.84375, 1.25)   erf(x) = erx + P(s)/Q(s), s = |x| - 1, erx = erf(1) rounded to 24 bits
 *   [1.25, 6)         erf(x) = 1 - exp(-z² - 0.5625) * exp((z - x)(z + x) + R(1/x²)/S(1/x²)) / x,
 *                     z = x with its low 32 bits cleared (so z² is exact)
 *   [6, ∞)            erf(x) = 1 (to within the last bit)
 *
 * The coefficients are fdlibm's. Its notice, as its licence asks:
 *
 *   Copyright (C) 1993 by Sun Microsystems, Inc. All rights reserved.
 *   Developed at SunPro, a Sun Microsystems, Inc. business.
 *   Permission to use, copy, modify, and distribute this software is freely granted,
 *   provided that this notice is preserved.
 */

const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
const EFX8 = 1.02703333676410069053;
// erf on [0, 0.84375)
const PP0 = 1.28379167095512558561e-1;
const PP1 = -3.2504210724700149937e-1;
const PP2 = -2.84817495755985104766e-2;
const PP3 = -5.77027029648944159157e-3;
const PP4 = -2.37630166566501626084e-5;
const QQ1 = 3.97917223959155352819e-1;
const QQ2 = 6.50222499887672944485e-2;
const QQ3 = 5.08130628187576562776e-3;
const QQ4 = 1.32494738004321644526e-4;
const QQ5 = -3.9602282787753681232e-6;
// erf on [0.84375, 1.25)
const PA0 = -2.36211856075265944077e-3;
const PA1 = 4.14856118683748331666e-1;
const PA2 = -3.72207876035701323847e-1;
const PA3 = 3.18346619901161753674e-1;
const PA4 = -1.10894694282396677476e-1;
const PA5 = 3.54783043256182359371e-2;
const PA6 = -2.166375594868790843e-3;
const QA1 = 1.06420880400844228286e-1;
const QA2 = 5.40397917702171048937e-1;
const QA3 = 7.18286544141962662868e-2;
const QA4 = 1.26171219808761642112e-1;
const QA5 = 1.36370839120290507362e-2;
const QA6 = 1.1984499846799107417e-2;
// erfc on [1.25, 1/0.35)
const RA0 = -9.86494403484714822705e-3;
const RA1 = -6.93858572707181764372e-1;
const RA2 = -1.05586262253232909814e1;
const RA3 = -6.23753324503260060396e1;
const RA4 = -1.62396669462573470355e2;
const RA5 = -1.84605092906711035994e2;
const RA6 = -8.12874355063065934246e1;
const RA7 = -9.81432934416914548592;
const SA1 = 1.96512716674392571292e1;
const SA2 = 1.376577541435190426e2;
const SA3 = 4.34565877475229228821e2;
const SA4 = 6.45387271733267880336e2;
const SA5 = 4.29008140027567833386e2;
const SA6 = 1.08635005541779435134e2;
const SA7 = 6.57024977031928170135;
const SA8 = -6.04244152148580987438e-2;
// erfc on [1/0.35, 6)
const RB0 = -9.86494292470009928597e-3;
const RB1 = -7.99283237680523006574e-1;
const RB2 = -1.77579549177547519889e1;
const RB3 = -1.60636384855821916062e2;
const RB4 = -6.37566443368389627722e2;
const RB5 = -1.02509513161107724954e3;
const RB6 = -4.83519191608651397019e2;
const SB1 = 3.03380607434824582924e1;
const SB2 = 3.25792512996573918826e2;
const SB3 = 1.53672958608443695994e3;
const SB4 = 3.19985821950859553908e3;
const SB5 = 2.55305040643316442583e3;
const SB6 = 4.74528541206955367215e2;
const SB7 = -2.24409524465858183362e1;

const TINY = 1e-300;

const bits = new DataView(new ArrayBuffer(8));

/** The high 32 bits of x's IEEE-754 representation. */
function highWord(x: number): number {
  bits.setFloat64(0, x);
  return bits.getUint32(0);
}

/** x with the low 32 bits of its representation cleared. */
function clearLowWord(x: number): number {
  bits.setFloat64(0, x);
  bits.setUint32(4, 0);
  return bits.getFloat64(0);
}

export function erf(x: number): number {
  const hx = highWord(x);
  const negative = hx >>> 31 === 1;
  const ix = hx & 0x7fffffff;
  if (ix >= 0x7ff00000) {
    // NaN stays NaN; erf(±∞) = ±1
    return (negative ? -1 : 1) + 1 / x;
  }
  if (ix < 0x3feb0000) {
    // |x| < 0.84375
    if (ix < 0x3e300000) {
      // |x| < 2^-28
      if (ix < 0x00800000) return 0.125 * (8 * x + EFX8 * x); // avoid underflow
      return x + EFX * x;
    }
    const z = x * x;
    const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
    const s = 1 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
    return x + x * (r / s);
  }
  if (ix < 0x3ff40000) {
    // 0.84375 <= |x| < 1.25
    const s = Math.abs(x) - 1;
    const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
    const q = 1 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
    return negative ? -ERX - p / q : ERX + p / q;
  }
  if (ix >= 0x40180000) {
    // |x| >= 6
    return negative ? TINY - 1 : 1 - TINY;
  }
  const ax = Math.abs(x);
  const s = 1 / (ax * ax);
  let r: number;
  let q: number;
  if (ix < 0x4006db6e) {
    // |x| < 1/0.35
    r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    q =
      1 +
      s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    q = 1 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  const z = clearLowWord(ax);
  const e = Math.exp(-z * z - 0.5625) * Math.exp((z - ax) * (z + ax) + r / q);
  return negative ? e / ax - 1 : 1 - e / ax;
}
