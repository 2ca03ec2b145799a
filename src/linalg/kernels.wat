;; SIMD kernel for the Householder tridiagonalisation in symmetricEigenvalues.ts.
;;
;; Memory layout (byte offsets). The four work vectors sit in fixed 256 KiB slots so that every
;; vector access in the hot loop is a single load with a constant immediate offset from the same
;; index register; 32768 doubles per slot is more than any matrix whose packed triangle fits in a
;; 4 GiB wasm32 memory.
;;   0x000000  vOld  Householder vector of the previous step (scaled so that P = I - u uT)
;;   0x040000  qOld  its rank-2 partner: the previous step's update is B -= u qT + q uT
;;   0x080000  vNew  Householder vector of the current step
;;   0x0C0000  p     output: p = B' vNew, with B' the block after the previous step's update
;;   0x100000  A     packed lower triangle: row j holds j+1 values, padded to an even count so
;;                   that every row starts 16-byte aligned
(module
  (memory (export "memory") 17)

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
  (func (export "reduceStep") (param $rows i32)
    (local $j i32) (local $jb i32) (local $row0 i32) (local $row1 i32) (local $off i32)
    (local $vo0 v128) (local $qo0 v128) (local $vn0 v128)
    (local $vo1 v128) (local $qo1 v128) (local $vn1 v128)
    (local $acc0 v128) (local $acc1 v128) (local $q v128) (local $v v128) (local $u v128)
    (local $x0 v128) (local $x1 v128)
    (local $voS0 f64) (local $qoS0 f64) (local $vnS0 f64)
    (local $voS1 f64) (local $qoS1 f64) (local $vnS1 f64)
    (local $dot0 f64) (local $dot1 f64) (local $x f64) (local $diag0 f64) (local $diag1 f64)

    (local.set $row0 (i32.const 0x100000))
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
)
