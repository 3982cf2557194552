#!/usr/bin/env python3
# Near-minimax polynomial coefficients of the runtime's math (docs/numerics.md): f32 by Lawson-weighted least squares on
# Chebyshev nodes against mpmath, rounded to f32; f64 exp by mpmath's Chebyshev fit, rounded to f64. Prints the
# coefficients RuntimeTable.swift uses (numpy, mpmath).
import mpmath as mp
import numpy as np

mp.mp.prec = 100


def fit(f, lo, hi, powers, n=4000, iterations=60):
    """Coefficients c of sum c_i x^powers[i] minimising max |p(x) - f(x)| on [lo, hi], and that error."""
    t = np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = (lo + hi) / 2 + (hi - lo) / 2 * t
    y = np.array([float(f(mp.mpf(float(v)))) for v in x])
    a = np.stack([x ** p for p in powers], 1)
    w = np.ones(n)
    for _ in range(iterations):
        c, *_ = np.linalg.lstsq(a * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)
        err = np.abs(a @ c - y)
        w = w * err
        w /= w.sum()
    return c, err.max()


FITS = {
    # exp(r) = 1 + r + r^2 p(r), |r| <= ln2/2 plus slack
    "exp p(r)": (lambda v: (mp.exp(v) - 1 - v) / v ** 2, -0.36, 0.36, list(range(6))),
    # log(1 + f) = f - f^2/2 + f^3 p(f), f = m - 1, m in [sqrt(1/2), sqrt(2))
    "log p(f)": (lambda v: (mp.log(1 + v) - v + v * v / 2) / v ** 3, -0.2929, 0.4143, list(range(9))),
    # tanh(x) = x + x^3 p(x^2), |x| < 0.625
    "tanh p(z)": (lambda v: (mp.tanh(v) - v) / v ** 3, 1e-4, 0.625, [2 * i for i in range(6)]),
    # sin(r) = r + r^3 p(r^2), cos(r) = 1 - r^2/2 + r^4 q(r^2), |r| <= 0.8 (pi/4 plus the slack of an f32 quotient)
    "sin p(z)": (lambda v: (mp.sin(v) - v) / v ** 3, 1e-4, 0.8, [0, 2, 4, 6]),
    "cos q(z)": (lambda v: (mp.cos(v) - 1 + v * v / 2) / v ** 4, 1e-4, 0.8, [0, 2, 4]),
}



def exp_f64():
    """p(r) of exp(r) = 1 + r + r^2 p(r), |r| <= ln2/2 plus slack, degree 10, and max |r^2 (p(r) - p*(r))| of the
    coefficients rounded to f64, highest degree first (the order of the Horner steps)."""
    h = mp.mpf("0.3466")
    q = lambda v: (mp.exp(v) - 1 - v) / v ** 2 if v else mp.mpf(1) / 2
    c = [float(v) for v in mp.chebyfit(q, [-h, h], 11)]
    err = max(abs(mp.polyval([mp.mpf(v) for v in c], r) - q(r)) * r * r for r in mp.linspace(-h, h, 2001))
    return c, err


if __name__ == "__main__":
    for name, (f, lo, hi, powers) in FITS.items():
        c, e = fit(f, lo, hi, powers)
        print(f"{name:10s} max abs error {e:.2e}: " + ", ".join("%.9ef" % np.float32(v) for v in c))
    c, e = exp_f64()
    print(f"exp f64 p(r), highest degree first, max abs error {float(e):.2e}: " + ", ".join(repr(v) for v in c))
