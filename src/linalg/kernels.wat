;; Symmetric eigenvalues for symmetricEigenvalues.ts, entirely in WebAssembly: the input check,
;; scaling and packing, the Householder tridiagonalisation (its O(n^3) hot loop in SIMD) and the
;; implicit QL on the tridiagonal. A one-shot CLI process solves its few dozen problems before V8
;; has optimised any JavaScript, so every O(n^2) pass lives here, where it runs compiled code from
;; the first call; JS only copies the matrix in, reads the spectrum out and sorts it.
;;
;; Memory layout (byte offsets). The work vectors sit in fixed 256 KiB slots so that every vector
;; access in the hot loops is a single load with a constant immediate offset from the same index
;; register; 32768 doubles per slot is more than any matrix that fits in a 4 GiB wasm32 memory.
;;   0x000000  vOld  Householder vector of the previous step (scaled so that P = I - u uT)
;;   0x040000  qOld  its rank-2 partner: the previous step's update is B -= u qT + q uT
;;   0x080000  vNew  Householder vector of the current step
;;   0x0C0000  p     p = B' vNew, with B' the block after the previous step's update
;;   0x100000  d     diagonal of the tridiagonal, then the (unsorted) eigenvalues
;;   0x140000  e     off-diagonal: e[k] couples k and k + 1; e[n-1] is scratch for QL
;;   0x180000  A     on entry the full n x n row-major input; packed in place into the lower
;;                   triangle, row j holding j+1 values padded to an even count so that every
;;                   row starts 16-byte aligned
;;
;; firstNonFinite32 (the input check of every matrix a sweep reads) and averageFloat32 (the query
;; embedding (z_v + z_t) / 2), both for matrix.ts, borrow A as their scratch between solves: the
;; caller copies up to 512 KiB of float32 values there, and reads averageFloat32's out back.
(module
  ;; Room for a 256 x 256 input without growing: growth detaches the JS view of the memory.
  (memory (export "memory") 32)

  ;; The eigenvalue index at which QL gave up, when eigenvalues returns 2.
  (global $failedAt (export "failedAt") (mut i32) (i32.const 0))

  ;; All eigenvalues (unsorted) of the symmetric n x n matrix at A, of which only the lower
  ;; triangle is read, into d. Returns 0 on success, 1 when the lower triangle holds a non-finite
  ;; value (the caller finds it in its own copy to name it), 2 when some eigenvalue needed more
  ;; than maxSweeps QL sweeps. Overwrites A and the work vectors. Expects n >= 1.
  (func (export "eigenvalues") (param $n i32) (param $maxSweeps i32) (result i32)
    (local $maxAbs f64) (local $exponent i32) (local $k i32) (local $end i32) (local $unscale f64)
    (local.set $maxAbs (call $lowerMaxAbs (local.get $n)))
    ;; false for NaN as well as for infinity, and max() propagates both
    (if (i32.eqz (f64.lt (local.get $maxAbs) (f64.const inf)))
      (then (return (i32.const 1))))
    (local.set $end (i32.shl (local.get $n) (i32.const 3)))
    (if (f64.eq (local.get $maxAbs) (f64.const 0))
      (then
        (loop $zero
          (f64.store offset=0x100000 (local.get $k) (f64.const 0))
          (local.set $k (i32.add (local.get $k) (i32.const 8)))
          (br_if $zero (i32.lt_u (local.get $k) (local.get $end))))
        (return (i32.const 0))))

    ;; Power-of-two exponent that brings the largest entry to [0.5, 1), read off the bits of
    ;; maxAbs: scaling by it is exact, and keeps the sums of squares in the Householder norms and
    ;; Givens rotations far from overflow and underflow whatever the units of the input. Clamped
    ;; (as the JS path does) so that 2^-exponent stays a normal double; subnormal maxAbs has a
    ;; zero biased exponent and lands on the clamp.
    (local.set $exponent
      (i32.sub (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $maxAbs)) (i64.const 52)))
        (i32.const 1022)))
    (if (i32.lt_s (local.get $exponent) (i32.const -1000)) (then (local.set $exponent (i32.const -1000))))
    (if (i32.gt_s (local.get $exponent) (i32.const 1000)) (then (local.set $exponent (i32.const 1000))))
    (call $packScaled (local.get $n) (call $powerOfTwo (i32.sub (i32.const 0) (local.get $exponent))))
    (call $tridiagonalise (local.get $n))
    (if (i32.eqz (call $implicitQl (local.get $n) (local.get $maxSweeps)))
      (then (return (i32.const 2))))
    (local.set $unscale (call $powerOfTwo (local.get $exponent)))
    (local.set $k (i32.const 0))
    (loop $unscaleLoop
      (f64.store offset=0x100000 (local.get $k)
        (f64.mul (f64.load offset=0x100000 (local.get $k)) (local.get $unscale)))
      (local.set $k (i32.add (local.get $k) (i32.const 8)))
      (br_if $unscaleLoop (i32.lt_u (local.get $k) (local.get $end))))
    (i32.const 0))

  ;; 2^k for -1022 <= k <= 1023, built from its bits.
  (func $powerOfTwo (param $k i32) (result f64)
    (f64.reinterpret_i64
      (i64.shl (i64.extend_i32_s (i32.add (local.get $k) (i32.const 1023))) (i64.const 52))))

  ;; Offset in bytes of row j of the packed triangle from A: sum over r < j of 2 floor(r/2) + 2
  ;; doubles = 2 floor(j/2) floor((j-1)/2) + 2j.
  (func $rowStartBytes (param $j i32) (result i32)
    (i32.shl
      (i32.add
        (i32.mul
          (i32.shl (i32.shr_u (local.get $j) (i32.const 1)) (i32.const 1))
          (i32.shr_s (i32.sub (local.get $j) (i32.const 1)) (i32.const 1)))
        (i32.shl (local.get $j) (i32.const 1)))
      (i32.const 3)))

  ;; max |entry| over the lower triangle of the row-major input at A; NaN or infinity when some
  ;; entry is not finite. The upper triangle is never read.
  (func $lowerMaxAbs (param $n i32) (result f64)
    (local $i i32) (local $row i32) (local $ptr i32) (local $end i32) (local $stride i32)
    (local $acc v128) (local $tail f64)
    (local.set $row (i32.const 0x180000))
    (local.set $stride (i32.shl (local.get $n) (i32.const 3)))
    (loop $rows
      (local.set $ptr (local.get $row))
      ;; row i has i + 1 entries in the triangle
      (local.set $end (i32.add (local.get $row) (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 3))))
      ;; Rows of an odd-sized matrix start 8-byte aligned only; unaligned v128 loads are fine.
      (block $pairsDone
        (loop $pairs
          (br_if $pairsDone (i32.gt_u (i32.add (local.get $ptr) (i32.const 16)) (local.get $end)))
          (local.set $acc (f64x2.max (local.get $acc) (f64x2.abs (v128.load (local.get $ptr)))))
          (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
          (br $pairs)))
      (if (i32.lt_u (local.get $ptr) (local.get $end))
        (then (local.set $tail (f64.max (local.get $tail) (f64.abs (f64.load (local.get $ptr)))))))
      (local.set $row (i32.add (local.get $row) (local.get $stride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $n))))
    (f64.max (local.get $tail)
      (f64.max (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc)))))

  ;; Packs the lower triangle of the row-major input at A into the padded packed layout, in place,
  ;; multiplying by scale. Row i moves from byte i*n*8 down to rowStart(i) <= i*n*8 (n >= 2; for
  ;; n = 1 nothing moves), and within a row each pair is loaded before the store that may overlap
  ;; it, so a forward sweep never overwrites an entry it has yet to read.
  (func $packScaled (param $n i32) (param $scale f64)
    (local $i i32) (local $src i32) (local $dst i32) (local $k i32) (local $len i32) (local $stride i32)
    (local $scale2 v128)
    (local.set $scale2 (f64x2.splat (local.get $scale)))
    (local.set $src (i32.const 0x180000))
    (local.set $dst (i32.const 0x180000))
    (local.set $stride (i32.shl (local.get $n) (i32.const 3)))
    (loop $rows
      (local.set $len (i32.shl (i32.add (local.get $i) (i32.const 1)) (i32.const 3)))
      (local.set $k (i32.const 0))
      (block $pairsDone
        (loop $pairs
          (br_if $pairsDone (i32.gt_u (i32.add (local.get $k) (i32.const 16)) (local.get $len)))
          (v128.store (i32.add (local.get $dst) (local.get $k))
            (f64x2.mul (v128.load (i32.add (local.get $src) (local.get $k))) (local.get $scale2)))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $pairs)))
      (if (i32.lt_u (local.get $k) (local.get $len))
        (then
          (f64.store (i32.add (local.get $dst) (local.get $k))
            (f64.mul (f64.load (i32.add (local.get $src) (local.get $k))) (local.get $scale)))
          ;; The pad slot of an even row is never read as data, but keep it finite so nothing odd
          ;; lingers there (an odd number of entries means an even row).
          (f64.store offset=8 (i32.add (local.get $dst) (local.get $k)) (f64.const 0))))
      ;; the packed row takes i + 1 doubles rounded up to even
      (local.set $dst
        (i32.add (local.get $dst)
          (i32.shl (i32.and (i32.add (local.get $i) (i32.const 2)) (i32.const -2)) (i32.const 3))))
      (local.set $src (i32.add (local.get $src) (local.get $stride)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $rows (i32.lt_u (local.get $i) (local.get $n)))))

  ;; Householder reduction of the packed, scaled triangle at A to the tridiagonal (d, e): rows go
  ;; from the bottom up, since row i's part left of the diagonal is contiguous and the block it
  ;; leaves behind is the leading i x i one, also contiguous. Each step's rank-2 update is not
  ;; applied at once but left pending in (vOld, qOld) and fused into the next step's pass.
  (func $tridiagonalise (param $n i32)
    (local $i i32) (local $ib i32) (local $kb i32) (local $lim i32) (local $row i32)
    (local $vi f64) (local $qi f64) (local $x f64) (local $tail f64) (local $alpha f64)
    (local $sigma f64) (local $g f64) (local $inverseRoot f64) (local $uDotP f64) (local $half f64)
    (local $u f64) (local $vi2 v128) (local $qi2 v128) (local $x2 v128) (local $acc v128)
    (local $scale2 v128) (local $half2 v128) (local $u2 v128) (local $pairEnd i32)
    ;; The O(n) passes of each step go two entries at a time like the kernel: the vectors and the
    ;; packed rows are 16-byte aligned, and an odd count leaves one scalar entry at the end.
    ;; No update is pending before the first step; a zero update keeps the kernel branch-free.
    (local.set $lim (i32.shl (local.get $n) (i32.const 3)))
    (loop $clear
      (f64.store (local.get $kb) (f64.const 0))
      (f64.store offset=0x40000 (local.get $kb) (f64.const 0))
      (local.set $kb (i32.add (local.get $kb) (i32.const 8)))
      (br_if $clear (i32.lt_u (local.get $kb) (local.get $lim))))

    (local.set $i (i32.sub (local.get $n) (i32.const 1)))
    (block $stepsDone
      (loop $steps
        (br_if $stepsDone (i32.lt_s (local.get $i) (i32.const 1)))
        (local.set $row (i32.add (i32.const 0x180000) (call $rowStartBytes (local.get $i))))
        (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
        ;; Row i is the last row of the block the pending update applies to. Its entries left of
        ;; column i - 1 are updated straight into vNew (the row itself is not needed again),
        ;; summing their squares on the way.
        (local.set $vi (f64.load (local.get $ib)))
        (local.set $qi (f64.load offset=0x40000 (local.get $ib)))
        (local.set $lim (i32.sub (local.get $ib) (i32.const 8)))
        (local.set $vi2 (f64x2.splat (local.get $vi)))
        (local.set $qi2 (f64x2.splat (local.get $qi)))
        (local.set $acc (v128.const f64x2 0 0))
        (local.set $pairEnd (i32.and (local.get $lim) (i32.const -16)))
        (local.set $kb (i32.const 0))
        (block $tailDone
          (loop $tailLoop
            (br_if $tailDone (i32.ge_u (local.get $kb) (local.get $pairEnd)))
            (local.set $x2
              (f64x2.sub (v128.load (i32.add (local.get $row) (local.get $kb)))
                (f64x2.add
                  (f64x2.mul (local.get $vi2) (v128.load offset=0x40000 (local.get $kb)))
                  (f64x2.mul (local.get $qi2) (v128.load (local.get $kb))))))
            (v128.store offset=0x80000 (local.get $kb) (local.get $x2))
            (local.set $acc (f64x2.add (local.get $acc) (f64x2.mul (local.get $x2) (local.get $x2))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $tailLoop)))
        (local.set $tail
          (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
        (if (i32.lt_u (local.get $kb) (local.get $lim))
          (then
            (local.set $x
              (f64.sub (f64.load (i32.add (local.get $row) (local.get $kb)))
                (f64.add
                  (f64.mul (local.get $vi) (f64.load offset=0x40000 (local.get $kb)))
                  (f64.mul (local.get $qi) (f64.load (local.get $kb))))))
            (f64.store offset=0x80000 (local.get $kb) (local.get $x))
            (local.set $tail (f64.add (local.get $tail) (f64.mul (local.get $x) (local.get $x))))))
        (local.set $alpha
          (f64.sub (f64.load (i32.add (local.get $row) (local.get $lim)))
            (f64.add
              (f64.mul (local.get $vi) (f64.load offset=0x40000 (local.get $lim)))
              (f64.mul (local.get $qi) (f64.load (local.get $lim))))))
        (f64.store offset=0x100000 (local.get $ib)
          (f64.sub (f64.load (i32.add (local.get $row) (local.get $ib)))
            (f64.add (f64.mul (local.get $vi) (local.get $qi)) (f64.mul (local.get $qi) (local.get $vi)))))
        (if (i32.eq (local.get $i) (i32.const 1))
          (then
            (f64.store offset=0x140000 (i32.const 0) (local.get $alpha))
            (br $stepsDone)))

        ;; Reflector P = I - u uT mapping x = row[0..i-1] onto a multiple of the last unit vector.
        (if (f64.eq (local.get $tail) (f64.const 0))
          (then
            ;; Already tridiagonal in this row: P = I, and a zero u makes the fused pass apply only
            ;; the pending update.
            (f64.store offset=0x140000 (local.get $lim) (local.get $alpha))
            (local.set $kb (i32.const 0))
            (loop $zeroU
              (f64.store offset=0x80000 (local.get $kb) (f64.const 0))
              (local.set $kb (i32.add (local.get $kb) (i32.const 8)))
              (br_if $zeroU (i32.lt_u (local.get $kb) (local.get $ib)))))
          (else
            (local.set $sigma
              (f64.sqrt (f64.add (local.get $tail) (f64.mul (local.get $alpha) (local.get $alpha)))))
            ;; Opposite sign to alpha so that alpha - g does not cancel.
            (local.set $g
              (select (f64.neg (local.get $sigma)) (local.get $sigma) (f64.ge (local.get $alpha) (f64.const 0))))
            (f64.store offset=0x140000 (local.get $lim) (local.get $g))
            ;; With v = x - g e_last, vTv = 2h; u = v / sqrt(h) then gives P = I - u uT.
            (local.set $inverseRoot
              (f64.div (f64.const 1)
                (f64.sqrt
                  (f64.sub (f64.mul (local.get $sigma) (local.get $sigma))
                    (f64.mul (local.get $alpha) (local.get $g))))))
            (local.set $scale2 (f64x2.splat (local.get $inverseRoot)))
            (local.set $kb (i32.const 0))
            (block $scaleDone
              (loop $scaleU
                (br_if $scaleDone (i32.ge_u (local.get $kb) (local.get $pairEnd)))
                (v128.store offset=0x80000 (local.get $kb)
                  (f64x2.mul (v128.load offset=0x80000 (local.get $kb)) (local.get $scale2)))
                (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
                (br $scaleU)))
            (if (i32.lt_u (local.get $kb) (local.get $lim))
              (then
                (f64.store offset=0x80000 (local.get $kb)
                  (f64.mul (f64.load offset=0x80000 (local.get $kb)) (local.get $inverseRoot)))))
            (f64.store offset=0x80000 (local.get $lim)
              (f64.mul (f64.sub (local.get $alpha) (local.get $g)) (local.get $inverseRoot)))))

        (call $reduceStep (local.get $i))

        ;; P B P = B - u qT - q uT with p = B u and q = p - (uTp / 2) u: the next pending update.
        ;; i >= 2 here, so each pair loop runs at least once
        (local.set $pairEnd (i32.and (local.get $ib) (i32.const -16)))
        (local.set $acc (v128.const f64x2 0 0))
        (local.set $kb (i32.const 0))
        (loop $dot
          (local.set $acc
            (f64x2.add (local.get $acc)
              (f64x2.mul (v128.load offset=0x80000 (local.get $kb)) (v128.load offset=0xC0000 (local.get $kb)))))
          (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
          (br_if $dot (i32.lt_u (local.get $kb) (local.get $pairEnd))))
        (local.set $uDotP
          (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))
        (if (i32.lt_u (local.get $kb) (local.get $ib))
          (then
            (local.set $uDotP
              (f64.add (local.get $uDotP)
                (f64.mul (f64.load offset=0x80000 (local.get $kb)) (f64.load offset=0xC0000 (local.get $kb)))))))
        (local.set $half (f64.div (local.get $uDotP) (f64.const 2)))
        (local.set $half2 (f64x2.splat (local.get $half)))
        (local.set $kb (i32.const 0))
        (loop $pending
          (local.set $u2 (v128.load offset=0x80000 (local.get $kb)))
          (v128.store (local.get $kb) (local.get $u2))
          (v128.store offset=0x40000 (local.get $kb)
            (f64x2.sub (v128.load offset=0xC0000 (local.get $kb)) (f64x2.mul (local.get $half2) (local.get $u2))))
          (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
          (br_if $pending (i32.lt_u (local.get $kb) (local.get $pairEnd))))
        (if (i32.lt_u (local.get $kb) (local.get $ib))
          (then
            (local.set $u (f64.load offset=0x80000 (local.get $kb)))
            (f64.store (local.get $kb) (local.get $u))
            (f64.store offset=0x40000 (local.get $kb)
              (f64.sub (f64.load offset=0xC0000 (local.get $kb)) (f64.mul (local.get $half) (local.get $u))))))

        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $steps)))
    ;; Row 0 still carries the last pending update (zero when n <= 2).
    (f64.store offset=0x100000 (i32.const 0)
      (f64.sub (f64.load (i32.const 0x180000))
        (f64.mul (f64.mul (f64.const 2) (f64.load (i32.const 0))) (f64.load (i32.const 0x40000))))))

  ;; Eigenvalues of the symmetric tridiagonal (d, e), overwriting d (unsorted) and destroying e:
  ;; implicit QL with Wilkinson shifts, as implicitQl in symmetricEigenvalues.ts (same shift, same
  ;; deflation test, same sweep limit), but with the bulge chase rearranged for speed.
  ;;
  ;; The textbook chase (the JS one) is a chain of dependent operations through a square root and
  ;; a division for every rotation, so it runs at the latency of that chain while most of the
  ;; core idles. Here a rotation (f, g) -> r, s = f/r, c = g/r is carried as s, c and s^2, and the
  ;; quantities the next rotation depends on are rewritten so that only 1/r^2 lies on the chain:
  ;;   p     = s^2 h + 2 s c b           = (f^2 h + 2 f g b) / r^2
  ;;   g_new = c (h s + 2 c b) - b       = (f g h + b (g^2 - f^2)) / r^2      (h = d_i - g')
  ;;   next f^2 = s^2 e_i^2              with s^2 = f^2 / r^2
  ;; while r = sqrt(r^2) (stored as the new coupling) and s, c = f/r, g/r (which the next rotation
  ;; needs only for its numerators) are computed off the chain, with 1/r = r * (1/r^2): one
  ;; division and one square root per rotation instead of two divisions after a square root. That
  ;; makes QL about 1.8x faster; the results differ from the JS chase by rounding only.
  ;;
  ;; Entries must be of modest size (max |entry| < 1 after the global scaling); blocks far below
  ;; that are scaled up for their sweeps (see below).
  ;; Returns 1 on success, or 0 with failedAt set when an eigenvalue takes more than maxSweeps
  ;; sweeps.
  (func $implicitQl (param $n i32) (param $maxSweeps i32) (result i32)
    (local $l i32) (local $m i32) (local $i i32) (local $last i32) (local $sweeps i32)
    (local $lb i32) (local $mb i32) (local $ib i32)
    (local $coupling f64) (local $g f64) (local $r f64) (local $magnitude f64)
    (local $e f64) (local $f f64) (local $b f64) (local $ff f64) (local $gg f64) (local $fg f64)
    (local $r2 f64) (local $inverse f64) (local $shifted f64) (local $h f64) (local $p f64)
    (local $gNext f64) (local $inverseR f64) (local $s f64) (local $c f64) (local $s2 f64)
    (local $blockMax f64) (local $blockExponent i32) (local $dAbove f64) (local $dBelow f64)
    (local.set $last (i32.sub (local.get $n) (i32.const 1)))
    (f64.store offset=0x140000 (i32.shl (local.get $last) (i32.const 3)) (f64.const 0))
    (block $allDone
      (loop $eachEigenvalue
        (br_if $allDone (i32.ge_u (local.get $l) (local.get $n)))
        (local.set $lb (i32.shl (local.get $l) (i32.const 3)))
        (local.set $sweeps (i32.const 0))
        (block $converged
          (loop $sweep
            ;; Split off the unreduced block d[l..m]: a coupling negligible against its two
            ;; diagonal neighbours cannot move either eigenvalue beyond rounding, and one below
            ;; 2^-1000 is negligible against any scaled matrix and only slows convergence.
            (local.set $m (local.get $l))
            (local.set $blockMax (f64.const 0))
            (local.set $dAbove (f64.abs (f64.load offset=0x100000 (local.get $lb))))
            (block $split
              (loop $findSplit
                (br_if $split (i32.ge_u (local.get $m) (local.get $last)))
                (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
                (local.set $coupling (f64.abs (f64.load offset=0x140000 (local.get $mb))))
                (local.set $dBelow (f64.abs (f64.load offset=0x100008 (local.get $mb))))
                (br_if $split
                  (i32.or
                    (f64.le (local.get $coupling)
                      (f64.mul (f64.const 0x1p-52) (f64.add (local.get $dAbove) (local.get $dBelow))))
                    (f64.lt (local.get $coupling) (f64.const 0x1p-1000))))
                (local.set $blockMax (f64.max (local.get $blockMax) (local.get $coupling)))
                (local.set $dAbove (local.get $dBelow))
                (local.set $m (i32.add (local.get $m) (i32.const 1)))
                (br $findSplit)))
            (br_if $converged (i32.eq (local.get $m) (local.get $l)))
            (local.set $sweeps (i32.add (local.get $sweeps) (i32.const 1)))
            (if (i32.gt_s (local.get $sweeps) (local.get $maxSweeps))
              (then
                (global.set $failedAt (local.get $l))
                (return (i32.const 0))))
            (local.set $mb (i32.shl (local.get $m) (i32.const 3)))
            ;; The chase below forms products of three entries, which underflow for a block whose
            ;; entries are all below about 2^-340 (a block that far below the rest of the matrix
            ;; has split off, so the global scaling does not help it). Such a block is scaled up by
            ;; a power of two for the sweep, which is exact. Non-negligible couplings are at least
            ;; 2^-1000, so blockMax is normal and its exponent is in range.
            (local.set $blockExponent (i32.const 0))
            (if (f64.lt (local.get $blockMax) (f64.const 0x1p-250))
              (then
                (local.set $blockExponent
                  (i32.sub
                    (i32.wrap_i64 (i64.shr_u (i64.reinterpret_f64 (local.get $blockMax)) (i64.const 52)))
                    (i32.const 1022)))
                (call $scaleBlock (local.get $l) (local.get $m)
                  (call $powerOfTwo (i32.sub (i32.const 0) (local.get $blockExponent))))))

            ;; Wilkinson shift: the eigenvalue of the leading 2x2 block nearer to d[l]. Only its
            ;; difference from d[m] is needed to start the bulge.
            (local.set $g
              (f64.div
                (f64.sub (f64.load offset=0x100008 (local.get $lb)) (f64.load offset=0x100000 (local.get $lb)))
                (f64.mul (f64.const 2) (f64.load offset=0x140000 (local.get $lb)))))
            ;; sqrt(1 + g^2) without overflowing for huge g
            (local.set $magnitude (f64.abs (local.get $g)))
            (local.set $r
              (select (local.get $magnitude)
                (f64.sqrt (f64.add (f64.const 1) (f64.mul (local.get $g) (local.get $g))))
                (f64.gt (local.get $magnitude) (f64.const 1e150))))
            (local.set $g
              (f64.add
                (f64.sub (f64.load offset=0x100000 (local.get $mb)) (f64.load offset=0x100000 (local.get $lb)))
                (f64.div (f64.load offset=0x140000 (local.get $lb))
                  (f64.add (local.get $g)
                    (select (local.get $r) (f64.neg (local.get $r)) (f64.ge (local.get $g) (f64.const 0)))))))

            ;; Chase the bulge from the bottom of the block to the top; p accumulates how far the
            ;; rotations have moved the diagonal. The first rotation acts on (e[m-1], g) as if
            ;; after a rotation with s = c = 1.
            (local.set $s (f64.const 1))
            (local.set $c (f64.const 1))
            (local.set $s2 (f64.const 1))
            (local.set $p (f64.const 0))
            (local.set $i (i32.sub (local.get $m) (i32.const 1)))
            (block $chased
              (loop $chase
                (br_if $chased (i32.lt_s (local.get $i) (local.get $l)))
                (local.set $ib (i32.shl (local.get $i) (i32.const 3)))
                (local.set $e (f64.load offset=0x140000 (local.get $ib)))
                (local.set $f (f64.mul (local.get $s) (local.get $e)))
                (local.set $b (f64.mul (local.get $c) (local.get $e)))
                (local.set $ff (f64.mul (local.get $s2) (f64.mul (local.get $e) (local.get $e))))
                (local.set $gg (f64.mul (local.get $g) (local.get $g)))
                (local.set $r2 (f64.add (local.get $ff) (local.get $gg)))
                (local.set $r (f64.sqrt (local.get $r2)))
                (if (f64.lt (local.get $r2) (f64.const 0x1p-1022))
                  (then
                    ;; The rotation degenerated (r below 2^-511, where 1/r^2 would overflow,
                    ;; against a block scaled to entries near 1): the block splits at i + 1, and
                    ;; dropping r there moves no eigenvalue beyond rounding. Undo the partial shift
                    ;; there and restart on the smaller block. On the first rotation, r^2 >=
                    ;; e[m-1]^2 means e[m-1] is as small, and dropping it instead is what makes
                    ;; progress.
                    (if (i32.eq (local.get $i) (i32.sub (local.get $m) (i32.const 1)))
                      (then (f64.store offset=0x140000 (local.get $ib) (f64.const 0)))
                      (else
                        (f64.store offset=0x140008 (local.get $ib) (f64.const 0))
                        (f64.store offset=0x100008 (local.get $ib)
                          (f64.sub (f64.load offset=0x100008 (local.get $ib)) (local.get $p)))))
                    (f64.store offset=0x140000 (local.get $mb) (f64.const 0))
                    (if (local.get $blockExponent)
                      (then
                        (call $scaleBlock (local.get $l) (local.get $m)
                          (call $powerOfTwo (local.get $blockExponent)))))
                    (br $sweep)))
                (f64.store offset=0x140008 (local.get $ib) (local.get $r))
                (local.set $inverse (f64.div (f64.const 1) (local.get $r2)))
                (local.set $shifted (f64.sub (f64.load offset=0x100008 (local.get $ib)) (local.get $p)))
                (local.set $h (f64.sub (f64.load offset=0x100000 (local.get $ib)) (local.get $shifted)))
                (local.set $fg (f64.mul (local.get $f) (local.get $g)))
                (local.set $p
                  (f64.mul
                    (f64.add (f64.mul (local.get $ff) (local.get $h))
                      (f64.mul (f64.mul (f64.const 2) (local.get $fg)) (local.get $b)))
                    (local.get $inverse)))
                (f64.store offset=0x100008 (local.get $ib) (f64.add (local.get $shifted) (local.get $p)))
                (local.set $gNext
                  (f64.mul
                    (f64.add (f64.mul (local.get $fg) (local.get $h))
                      (f64.mul (local.get $b) (f64.sub (local.get $gg) (local.get $ff))))
                    (local.get $inverse)))
                (local.set $inverseR (f64.mul (local.get $r) (local.get $inverse)))
                (local.set $s (f64.mul (local.get $f) (local.get $inverseR)))
                (local.set $c (f64.mul (local.get $g) (local.get $inverseR)))
                (local.set $s2 (f64.mul (local.get $ff) (local.get $inverse)))
                (local.set $g (local.get $gNext))
                (local.set $i (i32.sub (local.get $i) (i32.const 1)))
                (br $chase)))
            (f64.store offset=0x100000 (local.get $lb)
              (f64.sub (f64.load offset=0x100000 (local.get $lb)) (local.get $p)))
            (f64.store offset=0x140000 (local.get $lb) (local.get $g))
            (f64.store offset=0x140000 (local.get $mb) (f64.const 0))
            (if (local.get $blockExponent)
              (then
                (call $scaleBlock (local.get $l) (local.get $m) (call $powerOfTwo (local.get $blockExponent)))))
            (br $sweep)))
        (local.set $l (i32.add (local.get $l) (i32.const 1)))
        (br $eachEigenvalue)))
    (i32.const 1))

  ;; Multiplies d[l..m] and e[l..m-1] by factor, a power of two.
  (func $scaleBlock (param $l i32) (param $m i32) (param $factor f64)
    (local $kb i32) (local $end i32)
    (local.set $kb (i32.shl (local.get $l) (i32.const 3)))
    (local.set $end (i32.shl (local.get $m) (i32.const 3)))
    (f64.store offset=0x100000 (local.get $end)
      (f64.mul (f64.load offset=0x100000 (local.get $end)) (local.get $factor)))
    (block $done
      (loop $each
        (br_if $done (i32.ge_u (local.get $kb) (local.get $end)))
        (f64.store offset=0x100000 (local.get $kb)
          (f64.mul (f64.load offset=0x100000 (local.get $kb)) (local.get $factor)))
        (f64.store offset=0x140000 (local.get $kb)
          (f64.mul (f64.load offset=0x140000 (local.get $kb)) (local.get $factor)))
        (local.set $kb (i32.add (local.get $kb) (i32.const 8)))
        (br $each))))

  ;; Process rows 0..rows-1 of the packed triangle once: apply the pending rank-2 update of the
  ;; previous step to each row and, while the row is still in registers, accumulate its
  ;; contribution to p = B' vNew. Fusing the two halves the passes over the triangle.
  ;; Row j's dot product with vNew is the lower-triangle share of p[j]; by symmetry the same
  ;; values, scaled by vNew[j], are the upper-triangle shares of p[k], k < j, that column j holds.
  ;;
  ;; Rows go two at a time (j even, j + 1): the vector loads of vOld, qOld, vNew and the
  ;; read-modify-write of p are then shared by both rows, which leaves the loop bound by
  ;; arithmetic instead of by loads and stores. With j even, row j has an even number of entries
  ;; left of the diagonal, so the shared part needs no scalar tail.
  (func $reduceStep (param $rows i32)
    (local $j i32) (local $jb i32) (local $row0 i32) (local $row1 i32) (local $off i32)
    (local $vo0 v128) (local $qo0 v128) (local $vn0 v128)
    (local $vo1 v128) (local $qo1 v128) (local $vn1 v128)
    (local $acc0 v128) (local $acc1 v128) (local $q v128) (local $v v128) (local $u v128)
    (local $x0 v128) (local $x1 v128)
    (local $voS0 f64) (local $qoS0 f64) (local $vnS0 f64)
    (local $voS1 f64) (local $qoS1 f64) (local $vnS1 f64)
    (local $dot0 f64) (local $dot1 f64) (local $x f64) (local $diag0 f64) (local $diag1 f64)

    (local.set $row0 (i32.const 0x180000))
    (block $rowsDone
      (loop $rowLoop
        (br_if $rowsDone (i32.ge_u (local.get $j) (local.get $rows)))
        (local.set $jb (i32.shl (local.get $j) (i32.const 3)))
        (local.set $voS0 (f64.load (local.get $jb)))
        (local.set $qoS0 (f64.load offset=0x40000 (local.get $jb)))
        (local.set $vnS0 (f64.load offset=0x80000 (local.get $jb)))
        (local.set $vo0 (f64x2.splat (local.get $voS0)))
        (local.set $qo0 (f64x2.splat (local.get $qoS0)))
        (local.set $vn0 (f64x2.splat (local.get $vnS0)))
        (local.set $acc0 (v128.const f64x2 0 0))
        (local.set $off (i32.const 0))
        (local.set $diag0
          (f64.sub
            (f64.load (i32.add (local.get $row0) (local.get $jb)))
            (f64.add
              (f64.mul (local.get $voS0) (local.get $qoS0))
              (f64.mul (local.get $qoS0) (local.get $voS0)))))

        (if (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $rows))
          (then
            ;; row j has j + 1 values, padded to j + 2 since j is even
            (local.set $row1 (i32.add (local.get $row0) (i32.add (local.get $jb) (i32.const 16))))
            (local.set $voS1 (f64.load offset=8 (local.get $jb)))
            (local.set $qoS1 (f64.load offset=0x40008 (local.get $jb)))
            (local.set $vnS1 (f64.load offset=0x80008 (local.get $jb)))
            (local.set $vo1 (f64x2.splat (local.get $voS1)))
            (local.set $qo1 (f64x2.splat (local.get $qoS1)))
            (local.set $vn1 (f64x2.splat (local.get $vnS1)))
            (local.set $acc1 (v128.const f64x2 0 0))
            (if (i32.lt_u (local.get $off) (local.get $jb))
              (then
                (loop $pair
                  (local.set $q (v128.load offset=0x40000 (local.get $off)))
                  (local.set $v (v128.load (local.get $off)))
                  (local.set $u (v128.load offset=0x80000 (local.get $off)))
                  (local.set $x0
                    (f64x2.sub
                      (v128.load (i32.add (local.get $row0) (local.get $off)))
                      (f64x2.add
                        (f64x2.mul (local.get $vo0) (local.get $q))
                        (f64x2.mul (local.get $qo0) (local.get $v)))))
                  (local.set $x1
                    (f64x2.sub
                      (v128.load (i32.add (local.get $row1) (local.get $off)))
                      (f64x2.add
                        (f64x2.mul (local.get $vo1) (local.get $q))
                        (f64x2.mul (local.get $qo1) (local.get $v)))))
                  (v128.store (i32.add (local.get $row0) (local.get $off)) (local.get $x0))
                  (v128.store (i32.add (local.get $row1) (local.get $off)) (local.get $x1))
                  (local.set $acc0 (f64x2.add (local.get $acc0) (f64x2.mul (local.get $x0) (local.get $u))))
                  (local.set $acc1 (f64x2.add (local.get $acc1) (f64x2.mul (local.get $x1) (local.get $u))))
                  (v128.store offset=0xC0000 (local.get $off)
                    (f64x2.add (v128.load offset=0xC0000 (local.get $off))
                      (f64x2.add
                        (f64x2.mul (local.get $vn0) (local.get $x0))
                        (f64x2.mul (local.get $vn1) (local.get $x1)))))
                  (local.set $off (i32.add (local.get $off) (i32.const 16)))
                  (br_if $pair (i32.lt_u (local.get $off) (local.get $jb))))))
            (local.set $dot0
              (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0))))
            (local.set $dot1
              (f64.add (f64x2.extract_lane 0 (local.get $acc1)) (f64x2.extract_lane 1 (local.get $acc1))))
            ;; row j + 1 at column j, where vOld, qOld and vNew are row j's own scalars
            (local.set $x
              (f64.sub
                (f64.load (i32.add (local.get $row1) (local.get $jb)))
                (f64.add
                  (f64.mul (local.get $voS1) (local.get $qoS0))
                  (f64.mul (local.get $qoS1) (local.get $voS0)))))
            (f64.store (i32.add (local.get $row1) (local.get $jb)) (local.get $x))
            (local.set $diag1
              (f64.sub
                (f64.load offset=8 (i32.add (local.get $row1) (local.get $jb)))
                (f64.add
                  (f64.mul (local.get $voS1) (local.get $qoS1))
                  (f64.mul (local.get $qoS1) (local.get $voS1)))))
            (f64.store offset=8 (i32.add (local.get $row1) (local.get $jb)) (local.get $diag1))
            (f64.store (i32.add (local.get $row0) (local.get $jb)) (local.get $diag0))
            (f64.store offset=0xC0000 (local.get $jb)
              (f64.add
                (f64.add (local.get $dot0) (f64.mul (local.get $diag0) (local.get $vnS0)))
                (f64.mul (local.get $vnS1) (local.get $x))))
            (f64.store offset=0xC0008 (local.get $jb)
              (f64.add
                (f64.add (local.get $dot1) (f64.mul (local.get $x) (local.get $vnS0)))
                (f64.mul (local.get $diag1) (local.get $vnS1))))
            ;; row j + 1 has j + 2 values, already even
            (local.set $row0 (i32.add (local.get $row1) (i32.add (local.get $jb) (i32.const 16))))
            (local.set $j (i32.add (local.get $j) (i32.const 2)))
            (br $rowLoop)))

        ;; a last, unpaired row (j even, so again no scalar tail)
        (if (i32.lt_u (local.get $off) (local.get $jb))
          (then
            (loop $single
              (local.set $x0
                (f64x2.sub
                  (v128.load (i32.add (local.get $row0) (local.get $off)))
                  (f64x2.add
                    (f64x2.mul (local.get $vo0) (v128.load offset=0x40000 (local.get $off)))
                    (f64x2.mul (local.get $qo0) (v128.load (local.get $off))))))
              (v128.store (i32.add (local.get $row0) (local.get $off)) (local.get $x0))
              (local.set $acc0
                (f64x2.add (local.get $acc0)
                  (f64x2.mul (local.get $x0) (v128.load offset=0x80000 (local.get $off)))))
              (v128.store offset=0xC0000 (local.get $off)
                (f64x2.add (v128.load offset=0xC0000 (local.get $off))
                  (f64x2.mul (local.get $vn0) (local.get $x0))))
              (local.set $off (i32.add (local.get $off) (i32.const 16)))
              (br_if $single (i32.lt_u (local.get $off) (local.get $jb))))))
        (f64.store (i32.add (local.get $row0) (local.get $jb)) (local.get $diag0))
        (f64.store offset=0xC0000 (local.get $jb)
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $acc0)) (f64x2.extract_lane 1 (local.get $acc0)))
            (f64.mul (local.get $diag0) (local.get $vnS0)))))))

  ;; Index of the first NaN or infinity among the count float32 values at A, or -1. A float32 is
  ;; one exactly when its 8 exponent bits are all ones; 16 values are tested per step and only a
  ;; step that holds one is searched value by value.
  (func (export "firstNonFinite32") (param $count i32) (result i32)
    (local $i i32) (local $ptr i32) (local $blocks i32) (local $mask v128)
    (local.set $mask (i32x4.splat (i32.const 0x7f800000)))
    (local.set $blocks (i32.and (local.get $count) (i32.const -16)))
    (block $flagged
      (loop $steps
        (br_if $flagged (i32.ge_u (local.get $i) (local.get $blocks)))
        (local.set $ptr (i32.add (i32.const 0x180000) (i32.shl (local.get $i) (i32.const 2))))
        (br_if $flagged
          (v128.any_true
            (v128.or
              (v128.or
                (i32x4.eq (v128.and (v128.load (local.get $ptr)) (local.get $mask)) (local.get $mask))
                (i32x4.eq (v128.and (v128.load offset=16 (local.get $ptr)) (local.get $mask)) (local.get $mask)))
              (v128.or
                (i32x4.eq (v128.and (v128.load offset=32 (local.get $ptr)) (local.get $mask)) (local.get $mask))
                (i32x4.eq (v128.and (v128.load offset=48 (local.get $ptr)) (local.get $mask)) (local.get $mask))))))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $steps)))
    ;; From the flagged step (or the tail) on, value by value.
    (block $none
      (loop $values
        (br_if $none (i32.ge_u (local.get $i) (local.get $count)))
        (if (i32.eq
              (i32.and (i32.load offset=0x180000 (i32.shl (local.get $i) (i32.const 2))) (i32.const 0x7f800000))
              (i32.const 0x7f800000))
          (then (return (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $values)))
    (i32.const -1))

  ;; out = (a + b) / 2 for count <= 32768 float32 values: a at A, b at A + 0x20000, out at
  ;; A + 0x40000. In float64 and rounded once to float32, as JS computes it into a Float32Array:
  ;; float32 arithmetic would overflow where a + b passes the float32 range.
  (func (export "averageFloat32") (param $count i32)
    (local $ptr i32) (local $end i32) (local $half v128) (local $a v128) (local $b v128)
    (local $low v128) (local $high v128)
    (local.set $half (f64x2.splat (f64.const 0.5)))
    (local.set $ptr (i32.const 0x180000))
    (local.set $end (i32.add (i32.const 0x180000) (i32.shl (i32.and (local.get $count) (i32.const -4)) (i32.const 2))))
    (block $vectorsDone
      (loop $vectors
        (br_if $vectorsDone (i32.ge_u (local.get $ptr) (local.get $end)))
        (local.set $a (v128.load (local.get $ptr)))
        (local.set $b (v128.load offset=0x20000 (local.get $ptr)))
        (local.set $low
          (f32x4.demote_f64x2_zero
            (f64x2.mul (local.get $half)
              (f64x2.add (f64x2.promote_low_f32x4 (local.get $a)) (f64x2.promote_low_f32x4 (local.get $b))))))
        ;; Lanes 2 and 3 moved down to be widened.
        (local.set $high
          (f32x4.demote_f64x2_zero
            (f64x2.mul (local.get $half)
              (f64x2.add
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))))
        (v128.store offset=0x40000 (local.get $ptr)
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $low) (local.get $high)))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 16)))
        (br $vectors)))
    (local.set $end (i32.add (i32.const 0x180000) (i32.shl (local.get $count) (i32.const 2))))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $ptr) (local.get $end)))
        (f32.store offset=0x40000 (local.get $ptr)
          (f32.demote_f64
            (f64.mul (f64.const 0.5)
              (f64.add (f64.promote_f32 (f32.load (local.get $ptr))) (f64.promote_f32 (f32.load offset=0x20000 (local.get $ptr)))))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 4)))
        (br $tail))))
)
