//! Hot loops of the tree learner: per-feature histogram + split scan, and column partition.
//!
//! Each kernel has one portable body (`#[inline(always)]`), compiled twice on x86-64: for the baseline
//! target and with AVX2 enabled, picked at run time. Both compile the same floating-point operations in
//! the same order (no fused multiply-add is formed without fast-math), so the tree does not depend on
//! which one ran.
use std::sync::OnceLock;

/// `for_bits!(bits, |c| body)`: run `body` with every set bit `c` of a `[u64; 4]`, ascending. A macro,
/// not a closure, so that the body is compiled inside the AVX2 function.
macro_rules! for_bits {
    ($bits:expr_2021, |$c:ident| $body:block) => {
        for (word, &b) in $bits.iter().enumerate() {
            let mut b = b;
            while b != 0 {
                let $c = word * 64 + b.trailing_zeros() as usize;
                b &= b - 1;
                $body
            }
        }
    };
}

/// `for_not!(col, dom, |i, c| body)`: run `body` for every `i` with `c = col[i] != dom`, ascending,
/// eight codes at a time (SWAR): a run of dominant codes costs one compare per eight rows.
macro_rules! for_not {
    ($col:expr_2021, $dom:expr_2021, |$i:ident, $c:ident| $body:block) => {{
        const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
        const HI: u64 = 0x8080_8080_8080_8080;
        let col: &[u8] = $col;
        let dom: u8 = $dom;
        let pat = u64::from_ne_bytes([dom; 8]);
        let chunks = col.chunks_exact(8);
        let tail = chunks.remainder();
        for (ci, ch) in chunks.enumerate() {
            let x = u64::from_le_bytes(ch.try_into().expect("8 bytes")) ^ pat;
            if x == 0 {
                continue;
            }
            // High bit of each byte set iff the byte is non-zero (the code differs from `dom`).
            let mut m = (((x & LO7).wrapping_add(LO7)) | x) & HI;
            while m != 0 {
                let bi = (m.trailing_zeros() >> 3) as usize;
                m &= m - 1;
                let $i = ci * 8 + bi;
                let $c = ch[bi];
                $body
            }
        }
        let base = col.len() - tail.len();
        for (j, &cc) in tail.iter().enumerate() {
            if cc != dom {
                let $i = base + j;
                let $c = cc;
                $body
            }
        }
    }};
}

/// One feature of one node: its codes and slot rows (same order), the node totals and scan settings.
pub(crate) struct Job<'a> {
    pub col: &'a [u8],
    pub rows: &'a [f64],
    pub tot: &'a [f64],
    /// First target slot and number of targets.
    pub y0: usize,
    pub k: usize,
    /// Weight slot (slot 0 is the row count).
    pub w: usize,
    pub msl: f64,
    pub w_eps: f64,
    pub dom: u8,
}

/// `(Σ_k S_Lk²/W_L + Σ_k S_Rk²/W_R, last bin on the left, first bin on the right)`.
pub(crate) type Found = Option<(f64, u8, u8)>;

/// Per-thread buffers of [`hist_scan`]: the 256-bin histogram (zero between calls) and the scan arrays.
pub(crate) struct Scratch {
    hist: Vec<f64>,
    /// Prefix sums over the present bins, slot-major (`pref[j·256 + p]`).
    pref: Vec<f64>,
    sl: Vec<f64>,
    codes: Vec<u8>,
    seen: [u8; 256],
    /// Sort keys of [`small_scan`] (`code << 8 | row`).
    keys: Vec<u16>,
    /// Running sums of [`small_scan`] for a stride without a specialisation.
    left: Vec<f64>,
}

impl Scratch {
    pub(crate) fn new() -> Self {
        Self { hist: Vec::new(), pref: Vec::new(), sl: vec![0.0; 256], codes: vec![0; 256], seen: [0; 256], keys: Vec::new(), left: Vec::new() }
    }
    fn ensure(&mut self, s: usize) {
        if self.hist.len() < 256 * s {
            self.hist.resize(256 * s, 0.0);
            self.pref.resize(256 * s, 0.0);
        }
    }
}

fn has_avx2() -> bool {
    static AVX2: OnceLock<bool> = OnceLock::new();
    *AVX2.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            std::is_x86_feature_detected!("avx2")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            false
        }
    })
}

/// Histogram of `job.col` over the slot rows (stride `s`), then the best boundary between consecutive
/// bins present in the node. Returns the number of present bins and the best split.
pub(crate) fn hist_scan(s: usize, job: &Job<'_>, scr: &mut Scratch) -> (u32, Found) {
    scr.ensure(s);
    macro_rules! dispatch {
        ($($n:literal)*) => {
            match s {
                $($n => {
                    #[cfg(target_arch = "x86_64")]
                    if has_avx2() {
                        // SAFETY: AVX2 is present (checked at run time).
                        return unsafe { hist_scan_avx2::<$n>(job, scr) };
                    }
                    hist_scan_body::<$n, false>(job, scr)
                })*
                _ => hist_scan_dyn(s, job, scr),
            }
        };
    }
    dispatch!(4 8 12 16)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn hist_scan_avx2<const S: usize>(job: &Job<'_>, scr: &mut Scratch) -> (u32, Found) {
    hist_scan_body::<S, true>(job, scr)
}

/// `h += r` for one row (`h -= r` with `SUB`). With `AVX` (only inside an AVX2 function) in explicit
/// 4-wide operations: the same IEEE additions as the scalar loop, element by element.
#[inline(always)]
fn acc_row<const S: usize, const AVX: bool, const SUB: bool>(h: &mut [f64; S], r: &[f64; S]) {
    #[cfg(target_arch = "x86_64")]
    if AVX && S % 4 == 0 {
        use std::arch::x86_64::*;
        // SAFETY: callers with AVX = true run inside `#[target_feature(enable = "avx2")]` after a
        // run-time check; pointers cover S = 4·q elements.
        unsafe {
            for q in 0..S / 4 {
                let hp = h.as_mut_ptr().add(4 * q);
                let (a, b) = (_mm256_loadu_pd(hp), _mm256_loadu_pd(r.as_ptr().add(4 * q)));
                _mm256_storeu_pd(hp, if SUB { _mm256_sub_pd(a, b) } else { _mm256_add_pd(a, b) });
            }
        }
        return;
    }
    for j in 0..S {
        if SUB {
            h[j] -= r[j];
        } else {
            h[j] += r[j];
        }
    }
}

#[inline(always)]
fn hist_scan_body<const S: usize, const AVX: bool>(job: &Job<'_>, scr: &mut Scratch) -> (u32, Found) {
    let Scratch { hist, pref, sl, codes, seen, .. } = scr;
    let block = &mut hist[..256 * S];
    accumulate::<S, AVX, false>(job.col, job.rows, job.dom, block, seen);
    let bits = seen_to_bits(seen);
    scan_block::<S, AVX, true>(job, block, bits, pref, sl, codes)
}

/// `block[c] += row` (or `-=` with `SUB`) for every row whose code `c` is not `dom`; marks `seen[c]`.
#[inline(always)]
fn accumulate<const S: usize, const AVX: bool, const SUB: bool>(col: &[u8], rows: &[f64], dom: u8, block: &mut [f64], seen: &mut [u8; 256]) {
    assert_eq!(rows.len(), col.len() * S);
    let (rp, hp, hl) = (rows.as_ptr(), block.as_mut_ptr(), block.len());
    // Presence is marked in a byte array (a plain store, no read-modify-write chain between rows) and
    // turned into a bitmap afterwards.
    for_not!(col, dom, |i, c| {
        let c = c as usize;
        seen[c] = 1;
        assert!(c * S + S <= hl, "code {c} outside the feature's histogram");
        // SAFETY: i < col.len() so rows[i·S .. i·S + S] is in bounds (asserted above); the block range
        // is asserted. The two never alias (different buffers).
        let (r, h) = unsafe { (&*(rp.add(i * S) as *const [f64; S]), &mut *(hp.add(c * S) as *mut [f64; S])) };
        acc_row::<S, AVX, SUB>(h, r);
    });
}

/// Best split of one feature from its histogram `block` (non-dominant codes in `bits`; the dominant
/// code's cell is the node total minus every other bin). Zeroes the cells it read with `CLEAR`, else
/// leaves `block` as it was.
#[inline(always)]
fn scan_block<const S: usize, const AVX: bool, const CLEAR: bool>(
    job: &Job<'_>,
    block: &mut [f64],
    mut bits: [u64; 4],
    pref: &mut [f64],
    sl: &mut [f64],
    codes: &mut [u8],
) -> (u32, Found) {
    let dc = job.dom as usize;
    assert!(pref.len() >= 256 * S && codes.len() >= 256);
    #[cfg(target_arch = "x86_64")]
    if AVX && S % 4 == 0 {
        // SAFETY: only inside `#[target_feature(enable = "avx2")]` after a run-time check; sizes
        // asserted above and in `prefix_avx`.
        let p = unsafe { prefix_avx::<S, CLEAR>(job.tot, block, &mut bits, dc, pref, codes) };
        return (p as u32, best_boundary::<AVX>(job, pref, sl, codes, p));
    }
    // The dominant bin: node total minus every other bin.
    let mut rest: [f64; S] = job.tot.try_into().expect("stride");
    for_bits!(bits, |c| {
        let h: &[f64; S] = block[c * S..c * S + S].try_into().expect("stride");
        for j in 0..S {
            rest[j] -= h[j];
        }
    });
    if rest[0] > 0.5 {
        bits[dc >> 6] |= 1u64 << (dc & 63);
    }
    // Prefix sums over the present bins (slot-major).
    let mut run = [0f64; S];
    let mut p = 0usize;
    let pp = pref.as_mut_ptr();
    for_bits!(bits, |c| {
        let h: &[f64; S] = if c == dc { &rest } else { block[c * S..c * S + S].try_into().expect("stride") };
        for j in 0..S {
            run[j] += h[j];
            // SAFETY: j < S and p < 256 (at most 256 bits are set); pref holds 256·S (asserted).
            unsafe { *pp.add(j * 256 + p) = run[j] };
        }
        if CLEAR && c != dc {
            block[c * S..c * S + S].fill(0.0);
        }
        codes[p] = c as u8;
        p += 1;
    });
    (p as u32, best_boundary::<AVX>(job, pref, sl, codes, p))
}

/// The dominant bin and the prefix sums of [`scan_block`] with the slot vectors held in AVX registers
/// (`S = 4·q`, q ≤ 4): the same additions and subtractions, element by element, as the scalar loops.
/// Returns the number of present bins; zeroes the cells it read with `CLEAR`.
///
/// # Safety
/// AVX2 must be present; `pref` holds `256·S` values and `codes` 256 (the caller asserts both).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn prefix_avx<const S: usize, const CLEAR: bool>(tot: &[f64], block: &mut [f64], bits: &mut [u64; 4], dc: usize, pref: &mut [f64], codes: &mut [u8]) -> usize { unsafe {
    use std::arch::x86_64::*;
    let nq = S / 4;
    assert!(nq <= 4 && tot.len() >= S);
    let (bp, bl) = (block.as_mut_ptr(), block.len());
    let row = |c: usize, q: usize| {
        assert!(c * S + S <= bl, "code {c} outside the feature's histogram");
        _mm256_loadu_pd(bp.add(c * S + 4 * q))
    };
    let mut rest = [_mm256_setzero_pd(); 4];
    for (q, r) in rest.iter_mut().enumerate().take(nq) {
        *r = _mm256_loadu_pd(tot.as_ptr().add(4 * q));
    }
    for_bits!(*bits, |c| {
        for (q, r) in rest.iter_mut().enumerate().take(nq) {
            *r = _mm256_sub_pd(*r, row(c, q));
        }
    });
    if _mm256_cvtsd_f64(rest[0]) > 0.5 {
        bits[dc >> 6] |= 1u64 << (dc & 63);
    }
    let mut run = [_mm256_setzero_pd(); 4];
    let mut p = 0usize;
    let pp = pref.as_mut_ptr();
    for_bits!(*bits, |c| {
        for q in 0..nq {
            let h = if c == dc {
                rest[q]
            } else {
                let h = row(c, q);
                if CLEAR {
                    _mm256_storeu_pd(bp.add(c * S + 4 * q), _mm256_setzero_pd());
                }
                h
            };
            run[q] = _mm256_add_pd(run[q], h);
            store_slot_major(pp.add(4 * q * 256 + p), run[q]);
        }
        codes[p] = c as u8;
        p += 1;
    });
    p
}}

/// Strides with a persistent-histogram kernel (up to 15 outputs unweighted, 14 weighted).
pub(crate) fn persistent_stride(s: usize) -> bool {
    matches!(s, 4 | 8 | 12 | 16)
}

/// Run `$body::<S, AVX>` for the stride `$s` (one of [`persistent_stride`]), AVX2 when present.
macro_rules! stride_dispatch {
    ($s:expr_2021, $avx:ident, $port:ident, ($($a:expr_2021),*)) => {
        match $s {
            4 => stride_dispatch!(@one 4, $avx, $port, ($($a),*)),
            8 => stride_dispatch!(@one 8, $avx, $port, ($($a),*)),
            12 => stride_dispatch!(@one 12, $avx, $port, ($($a),*)),
            16 => stride_dispatch!(@one 16, $avx, $port, ($($a),*)),
            s => panic!("stride {s} has no persistent-histogram kernel"),
        }
    };
    (@one $n:literal, $avx:ident, $port:ident, ($($a:expr_2021),*)) => {{
        #[cfg(target_arch = "x86_64")]
        if has_avx2() {
            // SAFETY: AVX2 is present (checked at run time).
            return unsafe { $avx::<$n>($($a),*) };
        }
        $port::<$n, false>($($a),*)
    }};
}

/// Build the histogram of one feature of a node into `block` (all zero on entry; `256·s` or at least
/// `n_codes·s` values), store its non-dominant codes in `bits`, and find the best split. The block is
/// kept (for [`hist_subtract`] and [`hist_rescan`]) until [`hist_clear`].
pub(crate) fn hist_build(s: usize, job: &Job<'_>, block: &mut [f64], bits: &mut [u64; 4], scr: &mut Scratch) -> (u32, Found) {
    scr.ensure(s);
    stride_dispatch!(s, build_avx2, build_body, (job, block, bits, scr))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn build_avx2<const S: usize>(job: &Job<'_>, block: &mut [f64], bits: &mut [u64; 4], scr: &mut Scratch) -> (u32, Found) {
    build_body::<S, true>(job, block, bits, scr)
}

#[inline(always)]
fn build_body<const S: usize, const AVX: bool>(job: &Job<'_>, block: &mut [f64], bits: &mut [u64; 4], scr: &mut Scratch) -> (u32, Found) {
    let Scratch { pref, sl, codes, seen, .. } = scr;
    accumulate::<S, AVX, false>(job.col, job.rows, job.dom, block, seen);
    *bits = seen_to_bits(seen);
    scan_block::<S, AVX, false>(job, block, *bits, pref, sl, codes)
}

/// Best split of one feature from a kept histogram (`job.col`/`job.rows` are not read; `block` is
/// left as it was).
pub(crate) fn hist_rescan(s: usize, job: &Job<'_>, block: &mut [f64], bits: [u64; 4], scr: &mut Scratch) -> (u32, Found) {
    scr.ensure(s);
    stride_dispatch!(s, rescan_avx2, rescan_body, (job, block, bits, scr))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rescan_avx2<const S: usize>(job: &Job<'_>, block: &mut [f64], bits: [u64; 4], scr: &mut Scratch) -> (u32, Found) {
    rescan_body::<S, true>(job, block, bits, scr)
}

#[inline(always)]
fn rescan_body<const S: usize, const AVX: bool>(job: &Job<'_>, block: &mut [f64], bits: [u64; 4], scr: &mut Scratch) -> (u32, Found) {
    let Scratch { pref, sl, codes, .. } = scr;
    scan_block::<S, AVX, false>(job, block, bits, pref, sl, codes)
}

/// Remove rows from a kept histogram (sibling subtraction: parent − smaller child = larger child).
/// A bin whose count reaches zero is zeroed exactly and leaves `bits`.
pub(crate) fn hist_subtract(s: usize, col: &[u8], rows: &[f64], dom: u8, block: &mut [f64], bits: &mut [u64; 4], scr: &mut Scratch) {
    stride_dispatch!(s, subtract_avx2, subtract_body, (col, rows, dom, block, bits, scr))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn subtract_avx2<const S: usize>(col: &[u8], rows: &[f64], dom: u8, block: &mut [f64], bits: &mut [u64; 4], scr: &mut Scratch) {
    subtract_body::<S, true>(col, rows, dom, block, bits, scr)
}

#[inline(always)]
fn subtract_body<const S: usize, const AVX: bool>(col: &[u8], rows: &[f64], dom: u8, block: &mut [f64], bits: &mut [u64; 4], scr: &mut Scratch) {
    accumulate::<S, AVX, true>(col, rows, dom, block, &mut scr.seen);
    let touched = seen_to_bits(&mut scr.seen);
    for_bits!(touched, |c| {
        // Counts are whole numbers, exact in f64.
        if block[c * S] < 0.5 {
            block[c * S..c * S + S].fill(0.0);
            bits[c >> 6] &= !(1u64 << (c & 63));
        }
    });
}

/// Zero a kept histogram's cells (those in `bits`), ready for reuse.
pub(crate) fn hist_clear(s: usize, block: &mut [f64], bits: &mut [u64; 4]) {
    for_bits!(*bits, |c| {
        block[c * s..c * s + s].fill(0.0);
    });
    *bits = [0; 4];
}

/// Evaluate every boundary between present bins `b` and `b + 1` (`b < p − 1`) from the prefix sums.
/// Each boundary's sums over the outputs run in output order (`a = 0; a += l·l; …`, no fused
/// multiply-add), so the 4-wide AVX version computes exactly what the scalar one does. Ties keep the
/// lowest boundary.
#[inline(always)]
fn best_boundary<const AVX: bool>(job: &Job<'_>, pref: &[f64], out: &mut [f64], codes: &[u8], p: usize) -> Found {
    if p < 2 {
        return None;
    }
    let nb = p - 1;
    let tot = job.tot;
    let (y0, k, w) = (job.y0, job.k, job.w);
    let w_tot = tot[w];
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if AVX {
        use std::arch::x86_64::*;
        // SAFETY: only inside `#[target_feature(enable = "avx2")]` after a run-time check. Lanes read
        // pref[j·256 + b .. + 4] with b + 4 ≤ 256 (nb ≤ 255, blocks start below nb): in bounds; lanes
        // past nb hold stale values and are masked out of the choice.
        let chosen = unsafe {
            let pp = pref.as_ptr();
            let wt = _mm256_set1_pd(w_tot);
            let (msl, n_tot, w_eps) = (_mm256_set1_pd(job.msl), _mm256_set1_pd(tot[0]), _mm256_set1_pd(job.w_eps));
            let nbf = _mm256_set1_pd(nb as f64);
            let mut idx = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
            let (mut best_v, mut best_i) = (_mm256_set1_pd(f64::NEG_INFINITY), _mm256_set1_pd(-1.0));
            let mut nan = _mm256_setzero_pd();
            while done < nb {
                let (mut al, mut ar) = (_mm256_setzero_pd(), _mm256_setzero_pd());
                for (j, &t) in tot.iter().enumerate().skip(y0).take(k) {
                    let l = _mm256_loadu_pd(pp.add(j * 256 + done));
                    let r = _mm256_sub_pd(_mm256_set1_pd(t), l);
                    al = _mm256_add_pd(al, _mm256_mul_pd(l, l));
                    ar = _mm256_add_pd(ar, _mm256_mul_pd(r, r));
                }
                let wl = _mm256_loadu_pd(pp.add(w * 256 + done));
                let v = _mm256_add_pd(_mm256_div_pd(al, wl), _mm256_div_pd(ar, _mm256_sub_pd(wt, wl)));
                _mm256_storeu_pd(out.as_mut_ptr().add(done), v);
                // The scalar loop's validity test, lane by lane, and lanes past nb masked out.
                let nl = _mm256_loadu_pd(pp.add(done));
                let ok = _mm256_and_pd(
                    _mm256_and_pd(_mm256_cmp_pd::<_CMP_GE_OQ>(nl, msl), _mm256_cmp_pd::<_CMP_GE_OQ>(_mm256_sub_pd(n_tot, nl), msl)),
                    _mm256_and_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(wl, w_eps), _mm256_cmp_pd::<_CMP_GT_OQ>(_mm256_sub_pd(wt, wl), w_eps)),
                );
                let ok = _mm256_and_pd(ok, _mm256_cmp_pd::<_CMP_LT_OQ>(idx, nbf));
                nan = _mm256_or_pd(nan, _mm256_and_pd(ok, _mm256_cmp_pd::<_CMP_UNORD_Q>(v, v)));
                // Strict `>`: each lane keeps its first maximum.
                let better = _mm256_and_pd(ok, _mm256_cmp_pd::<_CMP_GT_OQ>(v, best_v));
                best_v = _mm256_blendv_pd(best_v, v, better);
                best_i = _mm256_blendv_pd(best_i, idx, better);
                idx = _mm256_add_pd(idx, _mm256_set1_pd(4.0));
                done += 4;
            }
            // A NaN proxy (only from overflowing sums) makes the choice order-dependent: the scalar
            // loop below decides then.
            (_mm256_movemask_pd(nan) == 0).then(|| {
                let (mut v, mut i) = ([0f64; 4], [0f64; 4]);
                _mm256_storeu_pd(v.as_mut_ptr(), best_v);
                _mm256_storeu_pd(i.as_mut_ptr(), best_i);
                // The largest proxy over the lanes; on equal proxies the lowest boundary.
                let mut pick: Option<usize> = None;
                for l in 0..4 {
                    if i[l] >= 0.0 && pick.is_none_or(|p| v[l] > v[p] || (v[l] == v[p] && i[l] < i[p])) {
                        pick = Some(l);
                    }
                }
                pick.map(|l| i[l] as usize)
            })
        };
        if let Some(best) = chosen {
            return best.map(|b| (out[b], codes[b], codes[b + 1]));
        }
    }
    for b in done..nb {
        let (mut al, mut ar) = (0.0, 0.0);
        for j in y0..y0 + k {
            let l = pref[j * 256 + b];
            let r = tot[j] - l;
            al += l * l;
            ar += r * r;
        }
        let wl = pref[w * 256 + b];
        out[b] = al / wl + ar / (w_tot - wl);
    }
    let n_tot = tot[0];
    let (msl, w_eps) = (job.msl, job.w_eps);
    let mut best: Option<usize> = None;
    for b in 0..nb {
        let (nl, wl) = (pref[b], pref[w * 256 + b]);
        let ok = nl >= msl && n_tot - nl >= msl && wl > w_eps && w_tot - wl > w_eps;
        if ok && best.is_none_or(|bb| out[b] > out[bb]) {
            best = Some(b);
        }
    }
    best.map(|b| (out[b], codes[b], codes[b + 1]))
}

/// [`hist_scan_body`] for a stride without a specialisation (more than 15 outputs).
fn hist_scan_dyn(s: usize, job: &Job<'_>, scr: &mut Scratch) -> (u32, Found) {
    let rows = job.rows;
    let hist = &mut scr.hist[..256 * s];
    let mut bits = [0u64; 4];
    for_not!(job.col, job.dom, |i, c| {
        let c = c as usize;
        bits[c >> 6] |= 1u64 << (c & 63);
        for (h, v) in hist[c * s..c * s + s].iter_mut().zip(&rows[i * s..i * s + s]) {
            *h += v;
        }
    });
    let mut rest = job.tot.to_vec();
    for_bits!(bits, |c| {
        for (l, h) in rest.iter_mut().zip(&hist[c * s..c * s + s]) {
            *l -= h;
        }
    });
    if rest[0] > 0.5 {
        let dc = job.dom as usize;
        hist[dc * s..dc * s + s].copy_from_slice(&rest);
        bits[dc >> 6] |= 1u64 << (dc & 63);
    }
    let mut run = vec![0f64; s];
    let mut p = 0usize;
    for_bits!(bits, |c| {
        for j in 0..s {
            run[j] += hist[c * s + j];
            scr.pref[j * 256 + p] = run[j];
            hist[c * s + j] = 0.0;
        }
        scr.codes[p] = c as u8;
        p += 1;
    });
    (p as u32, best_boundary::<false>(job, &scr.pref, &mut scr.sl, &scr.codes, p))
}

/// Largest node (rows) evaluated by [`small_scan`] instead of a histogram.
pub(crate) const SMALL: usize = 48;

/// Exact split search for a small node (`col.len() ≤ SMALL`): sort the rows by code, accumulate them in
/// that order, store the left-side sums at each boundary between distinct codes (slot-major, as the
/// histogram prefix sums), and evaluate the boundaries with [`best_boundary`]. Returns whether the
/// feature varies in the node and its best split (same criterion and tie rule as [`hist_scan`]).
pub(crate) fn small_scan(s: usize, job: &Job<'_>, scr: &mut Scratch) -> (bool, Found) {
    let col = job.col;
    debug_assert!(col.len() <= SMALL && !col.is_empty());
    let c0 = col[0];
    if col.iter().all(|&c| c == c0) {
        return (false, None);
    }
    scr.ensure(s);
    // Rows sorted by (code, row): only the non-dominant ones need sorting; the dominant code's rows
    // go between them in row order.
    let (keys, dom) = (&mut scr.keys, job.dom);
    keys.clear();
    keys.extend(col.iter().enumerate().filter(|&(_, &c)| c != dom).map(|(i, &c)| ((c as u16) << 8) | i as u16));
    keys.sort_unstable();
    let (m, n) = (keys.len(), col.len());
    if m < n {
        let at = keys.partition_point(|&key| (key >> 8) < dom as u16);
        keys.resize(n, 0);
        keys.copy_within(at..m, at + n - m);
        let mut d = at;
        for (i, &c) in col.iter().enumerate() {
            if c == dom {
                keys[d] = ((dom as u16) << 8) | i as u16;
                d += 1;
            }
        }
    }
    macro_rules! dispatch {
        ($($n:literal)*) => {
            match s {
                $($n => {
                    #[cfg(target_arch = "x86_64")]
                    if has_avx2() {
                        // SAFETY: AVX2 is present (checked at run time).
                        return (true, unsafe { small_scan_avx2::<$n>(job, scr) });
                    }
                    (true, small_scan_body::<$n, false>(job, scr))
                })*
                _ => {
                    let Scratch { pref, sl, codes, keys, left, .. } = scr;
                    left.clear();
                    left.resize(s, 0.0);
                    let p = small_prefix_dyn(s, job.rows, keys, left, pref, codes);
                    (true, best_boundary::<false>(job, pref, sl, codes, p))
                }
            }
        };
    }
    dispatch!(4 8 12 16)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn small_scan_avx2<const S: usize>(job: &Job<'_>, scr: &mut Scratch) -> Found {
    small_scan_body::<S, true>(job, scr)
}

#[inline(always)]
fn small_scan_body<const S: usize, const AVX: bool>(job: &Job<'_>, scr: &mut Scratch) -> Found {
    let Scratch { pref, sl, codes, keys, .. } = scr;
    let p = small_prefix::<S, AVX>(job.rows, keys, pref, codes);
    best_boundary::<AVX>(job, pref, sl, codes, p)
}

/// The left-side sums of every boundary between distinct codes of the sorted `keys` (`code << 8 | row`),
/// rows added one by one in key order, stored slot-major in `pref` (`pref[j·256 + b]`, `b` < number of
/// distinct codes − 1) with `codes[b]` the code left of boundary `b`. Returns the number of distinct
/// codes. With `AVX` the running sums live in AVX registers (same additions, element by element).
#[inline(always)]
fn small_prefix<const S: usize, const AVX: bool>(rows: &[f64], keys: &[u16], pref: &mut [f64], codes: &mut [u8]) -> usize {
    let n = keys.len();
    assert!((1..=256).contains(&n) && rows.len() == n * S && pref.len() >= 256 * S && codes.len() >= 256);
    #[cfg(target_arch = "x86_64")]
    if AVX && S % 4 == 0 {
        use std::arch::x86_64::*;
        let code = |idx: usize| (keys[idx] >> 8) as u8;
        let row = |idx: usize| -> &[f64; S] {
            let i = (keys[idx] & 0xff) as usize;
            rows[i * S..i * S + S].try_into().expect("stride")
        };
        let nq = S / 4;
        assert!(nq <= 4);
        let mut p = 0usize;
        // SAFETY: only inside `#[target_feature(enable = "avx2")]` after a run-time check; `row`
        // returns S values; p < n − 1 < 256 and pref holds 256·S values (asserted).
        unsafe {
            let mut left = [_mm256_setzero_pd(); 4];
            for idx in 0..n - 1 {
                let r = row(idx);
                for (q, l) in left.iter_mut().enumerate().take(nq) {
                    *l = _mm256_add_pd(*l, _mm256_loadu_pd(r.as_ptr().add(4 * q)));
                }
                if code(idx) != code(idx + 1) {
                    for (q, &l) in left.iter().enumerate().take(nq) {
                        store_slot_major(pref.as_mut_ptr().add(4 * q * 256 + p), l);
                    }
                    codes[p] = code(idx);
                    p += 1;
                }
            }
        }
        codes[p] = code(n - 1);
        return p + 1;
    }
    small_prefix_dyn(S, rows, keys, &mut [0f64; S], pref, codes)
}

/// [`small_prefix`] for any stride `s`, the running sums in `left` (`s` zeros on entry).
fn small_prefix_dyn(s: usize, rows: &[f64], keys: &[u16], left: &mut [f64], pref: &mut [f64], codes: &mut [u8]) -> usize {
    let n = keys.len();
    assert!(n >= 1 && left.len() == s && left.iter().all(|&v| v == 0.0));
    let mut p = 0usize;
    for pair in keys.windows(2) {
        let i = (pair[0] & 0xff) as usize;
        for (l, v) in left.iter_mut().zip(&rows[i * s..(i + 1) * s]) {
            *l += v;
        }
        let (c, cn) = ((pair[0] >> 8) as u8, (pair[1] >> 8) as u8);
        if c != cn {
            for (j, &l) in left.iter().enumerate() {
                pref[j * 256 + p] = l;
            }
            codes[p] = c;
            p += 1;
        }
    }
    codes[p] = (keys[n - 1] >> 8) as u8;
    p + 1
}

/// Store the four lanes of `v` at `at`, `at + 256`, `at + 512` and `at + 768` (four consecutive slots
/// of one bin in the slot-major prefix array).
///
/// # Safety
/// AVX must be enabled in the caller; the four places must be writable.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn store_slot_major(at: *mut f64, v: std::arch::x86_64::__m256d) { unsafe {
    use std::arch::x86_64::*;
    let (lo, hi) = (_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
    _mm_storel_pd(at, lo);
    _mm_storeh_pd(at.add(256), lo);
    _mm_storel_pd(at.add(512), hi);
    _mm_storeh_pd(at.add(768), hi);
}}

/// The set `{c : seen[c] ≠ 0}` as a 256-bit bitmap; clears `seen`.
#[inline(always)]
fn seen_to_bits(seen: &mut [u8; 256]) -> [u64; 4] {
    let mut bits = [0u64; 4];
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        // SAFETY: SSE2 is part of the x86-64 baseline; 16 loads of 16 bytes cover the 256 bytes.
        unsafe {
            let zero = _mm_setzero_si128();
            for (q, word) in bits.iter_mut().enumerate() {
                let mut b = 0u64;
                for h in 0..4 {
                    let v = _mm_loadu_si128(seen.as_ptr().add(q * 64 + h * 16) as *const __m128i);
                    let m = _mm_movemask_epi8(_mm_cmpeq_epi8(v, zero)) as u32 ^ 0xffff;
                    b |= (m as u64) << (16 * h);
                }
                *word = b;
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    for (q, word) in bits.iter_mut().enumerate() {
        for t in 0..64 {
            *word |= ((seen[q * 64 + t] != 0) as u64) << t;
        }
    }
    seen.fill(0);
    bits
}

/// Bit `i` of the result is byte `i` (0 or 1) of `m` (little-endian).
#[inline(always)]
fn pack8(m: u64) -> u8 {
    (m.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// Shuffle tables: entry `m` lists the positions of the set bits of `m`, ascending.
static COMPRESS: [[u8; 16]; 256] = {
    let mut t = [[0x80u8; 16]; 256];
    let mut m = 0;
    while m < 256 {
        let (mut k, mut b) = (0, 0);
        while b < 8 {
            if m & (1 << b) != 0 {
                t[m][k] = b as u8;
                k += 1;
            }
            b += 1;
        }
        m += 1;
    }
    t
};

/// Stable in-place partition of codes: `mask[i] == 1` first, then `mask[i] == 0`, each in order.
/// `tmp` is scratch (grown to `data.len()`). Uses SSSE3 byte shuffles when available.
pub(crate) fn partition_u8(data: &mut [u8], mask: &[u8], tmp: &mut Vec<u8>) {
    let n = data.len();
    assert_eq!(mask.len(), n);
    if tmp.len() < n + 8 {
        tmp.resize(n + 8, 0);
    }
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("ssse3") {
        // SAFETY: SSSE3 is present; lengths checked above.
        unsafe { partition_u8_ssse3(data, mask, tmp) };
        return;
    }
    partition_scalar(data, mask, tmp);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "ssse3")]
unsafe fn partition_u8_ssse3(data: &mut [u8], mask: &[u8], tmp: &mut [u8]) { unsafe {
    use std::arch::x86_64::*;
    let n = data.len();
    let (dp, tp) = (data.as_mut_ptr(), tmp.as_mut_ptr());
    let (mut l, mut r) = (0usize, 0usize);
    let chunks = n / 8;
    for c in 0..chunks {
        let i = c * 8;
        let m = pack8(u64::from_le_bytes(mask[i..i + 8].try_into().expect("8 bytes")));
        // The 8 codes are loaded before anything is stored: stores go to data[l..l + 8] with l ≤ i and
        // tmp[r..r + 8] with r ≤ i, both in bounds (tmp has 8 bytes of slack).
        let v = _mm_loadl_epi64(dp.add(i) as *const __m128i);
        let lsh = _mm_loadu_si128(COMPRESS[m as usize].as_ptr() as *const __m128i);
        let rsh = _mm_loadu_si128(COMPRESS[(!m) as usize].as_ptr() as *const __m128i);
        _mm_storel_epi64(dp.add(l) as *mut __m128i, _mm_shuffle_epi8(v, lsh));
        _mm_storel_epi64(tp.add(r) as *mut __m128i, _mm_shuffle_epi8(v, rsh));
        let k = m.count_ones() as usize;
        l += k;
        r += 8 - k;
    }
    for i in chunks * 8..n {
        let v = data[i];
        if mask[i] != 0 {
            data[l] = v;
            l += 1;
        } else {
            tmp[r] = v;
            r += 1;
        }
    }
    data[l..].copy_from_slice(&tmp[..r]);
}}

fn partition_scalar(data: &mut [u8], mask: &[u8], tmp: &mut [u8]) {
    let (mut l, mut r) = (0usize, 0usize);
    for i in 0..data.len() {
        let v = data[i];
        let m = (mask[i] != 0) as usize;
        // Write to both places, advance one: no branch.
        data[l] = v;
        tmp[r] = v;
        l += m;
        r += 1 - m;
    }
    data[l..].copy_from_slice(&tmp[..r]);
}

/// Stable partition of rows of `s` values by `mask` (as [`partition_u8`]); `tmp` is scratch.
pub(crate) fn partition_rows(rows: &mut [f64], s: usize, mask: &[u8], tmp: &mut Vec<f64>) {
    let n = mask.len();
    assert_eq!(rows.len(), n * s);
    if tmp.len() < n * s {
        tmp.resize(n * s, 0.0);
    }
    let (mut l, mut r) = (0usize, 0usize);
    for (i, &m) in mask.iter().enumerate() {
        if m != 0 {
            if l != i {
                rows.copy_within(i * s..(i + 1) * s, l * s);
            }
            l += 1;
        } else {
            tmp[r * s..(r + 1) * s].copy_from_slice(&rows[i * s..(i + 1) * s]);
            r += 1;
        }
    }
    rows[l * s..].copy_from_slice(&tmp[..r * s]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swar_scan_finds_every_non_dominant_code() {
        for n in [0usize, 1, 7, 8, 9, 63, 64, 100] {
            for dom in [0u8, 3, 255] {
                let col: Vec<u8> = (0..n).map(|i| if (i * 7) % 3 == 0 { dom } else { ((i * 13) % 256) as u8 }).collect();
                let mut got = Vec::new();
                for_not!(&col, dom, |i, c| {
                    got.push((i, c));
                });
                let want: Vec<(usize, u8)> = col.iter().cloned().enumerate().filter(|&(_, c)| c != dom).collect();
                assert_eq!(got, want, "n {n} dom {dom}");
            }
        }
    }

    #[test]
    fn seen_bytes_become_bits() {
        let mut seen = [0u8; 256];
        for c in [0usize, 5, 63, 64, 100, 200, 255] {
            seen[c] = 1;
        }
        let bits = seen_to_bits(&mut seen);
        let mut got = Vec::new();
        for_bits!(bits, |c| {
            got.push(c);
        });
        assert_eq!(got, vec![0, 5, 63, 64, 100, 200, 255]);
        assert!(seen.iter().all(|&v| v == 0));
    }

    #[test]
    fn pack8_packs_every_mask() {
        for m in 0u32..256 {
            let bytes: [u8; 8] = std::array::from_fn(|b| ((m >> b) & 1) as u8);
            assert_eq!(pack8(u64::from_le_bytes(bytes)), m as u8);
        }
    }

    #[test]
    fn partitions_match_a_naive_stable_partition() {
        for n in [0usize, 1, 5, 8, 9, 16, 17, 100, 1000] {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 % 251) as u8).collect();
            let mask: Vec<u8> = (0..n).map(|i| u8::from((i * 7919) % 5 < 2)).collect();
            let want: Vec<u8> = data.iter().zip(&mask).filter(|&(_, &m)| m == 1).chain(data.iter().zip(&mask).filter(|&(_, &m)| m == 0)).map(|(&v, _)| v).collect();
            let mut a = data.clone();
            partition_u8(&mut a, &mask, &mut Vec::new());
            assert_eq!(a, want, "n {n}");
            let mut b = data.clone();
            partition_scalar(&mut b, &mask, &mut vec![0; n + 8]);
            assert_eq!(b, want, "n {n}");
            let s = 3;
            let mut rows: Vec<f64> = data.iter().flat_map(|&v| [v as f64, v as f64 + 0.5, -(v as f64)]).collect();
            partition_rows(&mut rows, s, &mask, &mut Vec::new());
            let firsts: Vec<u8> = rows.chunks(s).map(|r| r[0] as u8).collect();
            assert_eq!(firsts, want);
            assert!(rows.chunks(s).all(|r| r[1] == r[0] + 0.5 && r[2] == -r[0]));
        }
    }

    /// The small-node search as a plain loop: rows added one by one in (code, row) order, the proxy of
    /// each boundary between distinct codes computed on the spot, the first maximum kept.
    fn small_scan_reference(job: &Job<'_>, s: usize) -> Found {
        let mut order: Vec<usize> = (0..job.col.len()).collect();
        order.sort_by_key(|&i| (job.col[i], i));
        let (tot, w) = (job.tot, job.w);
        let mut left = vec![0f64; s];
        let mut best: Found = None;
        for win in order.windows(2) {
            let i = win[0];
            for (l, v) in left.iter_mut().zip(&job.rows[i * s..(i + 1) * s]) {
                *l += v;
            }
            let (c, cn) = (job.col[i], job.col[win[1]]);
            let (nl, wl) = (left[0], left[w]);
            let wr = tot[w] - wl;
            if c == cn || !(nl >= job.msl && tot[0] - nl >= job.msl && wl > job.w_eps && wr > job.w_eps) {
                continue;
            }
            let (mut a, mut b) = (0.0, 0.0);
            for j in job.y0..job.y0 + job.k {
                let (l, r) = (left[j], tot[j] - left[j]);
                a += l * l;
                b += r * r;
            }
            let proxy = a / wl + b / wr;
            if best.is_none_or(|bb| proxy > bb.0) {
                best = Some((proxy, c, cn));
            }
        }
        best
    }

    /// Every path of the small-node search (dispatched, portable, any stride) against the reference,
    /// bit for bit; the histogram search finds the same boundary.
    #[test]
    fn small_scan_paths_agree() {
        for (n, dom) in [(40usize, 0u8), (40, 3), (7, 8), (48, 0), (2, 0)] {
            for s in [12usize, 7] {
                let col: Vec<u8> = (0..n).map(|i| (i * 7 % 9) as u8).collect();
                let rows: Vec<f64> = (0..n * s).map(|i| if i % s == 0 { 1.0 } else if i % s < 11 { ((i * 5) % 11) as f64 / 11.0 } else { 0.0 }).collect();
                let mut tot = vec![0f64; s];
                rows.chunks(s).for_each(|r| tot.iter_mut().zip(r).for_each(|(t, v)| *t += v));
                let k = (s - 1).min(10);
                let job = Job { col: &col, rows: &rows, tot: &tot, y0: 1, k, w: 0, msl: 1.0, w_eps: 1e-9, dom };
                let want = small_scan_reference(&job, s);
                let mut scr = Scratch::new();
                let got = small_scan(s, &job, &mut scr);
                assert_eq!(got, (true, want), "n {n} dom {dom} s {s}");
                if s == 12 {
                    assert_eq!(small_scan_body::<12, false>(&job, &mut scr), want, "portable, n {n} dom {dom}");
                    let (_, h) = hist_scan(s, &job, &mut scr);
                    let ((pa, ba, na), (ph, bh, nh)) = (want.unwrap(), h.unwrap());
                    assert_eq!((ba, na), (bh, nh));
                    assert!((pa - ph).abs() < 1e-9 * pa);
                }
            }
        }
        // A constant feature does not vary.
        let job = Job { col: &[5; 4], rows: &[1.0; 16], tot: &[4.0; 4], y0: 1, k: 2, w: 0, msl: 1.0, w_eps: 1e-9, dom: 0 };
        assert_eq!(small_scan(4, &job, &mut Scratch::new()), (false, None));
    }

    /// Equal proxies keep the lowest boundary, and a NaN proxy (overflowing sums) is decided as the
    /// scalar loop decides it, in the AVX2 and the portable boundary search alike.
    #[test]
    fn boundary_ties_and_nan_follow_the_scalar_rule() {
        // Rows 0..8 with codes 0..8 and mirror-symmetric targets: boundaries b and 6 − b tie.
        let s = 4;
        let n = 8;
        let col: Vec<u8> = (0..n as u8).collect();
        let ys = [0.0, 1.0, 3.0, 2.0, 2.0, 3.0, 1.0, 0.0];
        let rows: Vec<f64> = ys.iter().flat_map(|&y| [1.0, y, 0.0, 0.0]).collect();
        let tot = vec![8.0, 12.0, 0.0, 0.0];
        let job = Job { col: &col, rows: &rows, tot: &tot, y0: 1, k: 1, w: 0, msl: 1.0, w_eps: 1e-9, dom: 0 };
        let want = small_scan_reference(&job, s);
        let mut scr = Scratch::new();
        assert_eq!(hist_scan(s, &job, &mut scr).1.map(|f| (f.1, f.2)), want.map(|f| (f.1, f.2)));
        scr.ensure(s);
        assert_eq!(hist_scan_body::<4, false>(&job, &mut scr).1.map(|f| (f.1, f.2)), want.map(|f| (f.1, f.2)));
        // A tie exists: the mirrored boundary has the same proxy and lies above the chosen one.
        let (p, b, _) = want.unwrap();
        let mirror = (6 - b as usize) as u8;
        assert!(mirror > b);
        assert!(p.is_finite());
        // NaN: an infinite target in the first row makes `inf − inf` on the right side of every
        // boundary. The scalar rule keeps the first valid boundary, whose proxy is NaN.
        let rows: Vec<f64> = ys.iter().enumerate().flat_map(|(i, &y)| [1.0, if i == 0 { f64::INFINITY } else { y }, 0.0, 0.0]).collect();
        let tot = vec![8.0, f64::INFINITY, 0.0, 0.0];
        let job = Job { col: &col, rows: &rows, tot: &tot, y0: 1, k: 1, w: 0, msl: 1.0, w_eps: 1e-9, dom: 0 };
        let scalar = hist_scan_body::<4, false>(&job, &mut scr);
        let dispatched = hist_scan(s, &job, &mut scr);
        assert!(scalar.1.is_some_and(|f| f.0.is_nan() && (f.1, f.2) == (0, 1)), "{scalar:?}");
        assert_eq!(format!("{scalar:?}"), format!("{dispatched:?}"));
        assert_eq!(format!("{:?}", small_scan_reference(&job, s)), format!("{:?}", small_scan(s, &job, &mut scr).1));
    }

    #[test]
    fn avx2_and_portable_kernels_agree_exactly() {
        let n = 1000;
        let s = 12;
        let col: Vec<u8> = (0..n).map(|i| if i % 3 == 0 { 7 } else { (i * 31 % 200) as u8 }).collect();
        let rows: Vec<f64> = (0..n * s).map(|i| if i % s == 0 { 1.0 } else if i % s < 11 { ((i * 7) % 13) as f64 / 13.0 } else { 0.0 }).collect();
        let mut tot = vec![0f64; s];
        rows.chunks(s).for_each(|r| tot.iter_mut().zip(r).for_each(|(t, v)| *t += v));
        let job = Job { col: &col, rows: &rows, tot: &tot, y0: 1, k: 10, w: 0, msl: 1.0, w_eps: 1e-9, dom: 7 };
        let mut scr = Scratch::new();
        scr.ensure(s);
        let a = hist_scan_body::<12, false>(&job, &mut scr);
        assert!(scr.hist.iter().all(|&v| v == 0.0));
        let b = hist_scan_dyn(s, &job, &mut scr);
        assert_eq!(a, b);
        let c = hist_scan(s, &job, &mut scr);
        assert_eq!(a, c);
        assert!(scr.hist.iter().all(|&v| v == 0.0));
        assert!(a.1.is_some());
        // Brute force over thresholds on the codes.
        let mut best = (f64::NEG_INFINITY, 0u8);
        for t in 0..=255u8 {
            let (mut l, mut r) = (vec![0f64; s], vec![0f64; s]);
            for (i, &c) in col.iter().enumerate() {
                let dst = if c <= t { &mut l } else { &mut r };
                dst.iter_mut().zip(&rows[i * s..(i + 1) * s]).for_each(|(d, v)| *d += v);
            }
            if l[0] == 0.0 || r[0] == 0.0 {
                continue;
            }
            let v: f64 = (1..11).map(|j| l[j] * l[j] / l[0] + r[j] * r[j] / r[0]).sum();
            if v > best.0 + 1e-9 {
                best = (v, t);
            }
        }
        let (proxy, bin, _) = a.1.unwrap();
        assert_eq!(bin, best.1);
        assert!((proxy - best.0).abs() < 1e-9 * best.0);
    }
}
