;; Exact integer dot products for the gallery's in-memory index (vector-index.ts): out[i] =
;; codes[i] · q, codes int8 (one row of `dim` bytes per face), q int16, sums in i32 (exact: with
;; |code| <= 127 and |q| <= floor((2^31 - 1) / (dim * 127)) nothing overflows). Hand-written
;; because the scan is memory-bound and int8 rows are a quarter of the bytes of float32 ones:
;; i16x8.extend + i32x4.dot_i16x8_s per 16 dimensions, 32 dimensions per loop turn, 4
;; accumulators. `dim` must be a multiple of 32. Layout (caller's): q, out and codes anywhere
;; in memory, 16-byte aligned.
(module
  (import "env" "memory" (memory 1))
  (func (export "qdots") (param $codes i32) (param $n i32) (param $dim i32) (param $q i32) (param $out i32)
    (local $p i32) (local $qp i32) (local $end i32) (local $last i32)
    (local $c v128) (local $d v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local.set $p (local.get $codes))
    (local.set $last (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $rows
        (br_if $done (i32.ge_u (local.get $out) (local.get $last)))
        (local.set $a0 (v128.const i32x4 0 0 0 0))
        (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0))
        (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $qp (local.get $q))
        (local.set $end (i32.add (local.get $p) (local.get $dim)))
        (block $rowdone
          (loop $cols
            (br_if $rowdone (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $c (v128.load (local.get $p)))
            (local.set $d (v128.load offset=16 (local.get $p)))
            (local.set $a0 (i32x4.add (local.get $a0)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $c)) (v128.load (local.get $qp)))))
            (local.set $a1 (i32x4.add (local.get $a1)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $c)) (v128.load offset=16 (local.get $qp)))))
            (local.set $a2 (i32x4.add (local.get $a2)
              (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $d)) (v128.load offset=32 (local.get $qp)))))
            (local.set $a3 (i32x4.add (local.get $a3)
              (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $d)) (v128.load offset=48 (local.get $qp)))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (local.set $qp (i32.add (local.get $qp) (i32.const 64)))
            (br $cols)))
        (local.set $a0 (i32x4.add (i32x4.add (local.get $a0) (local.get $a1)) (i32x4.add (local.get $a2) (local.get $a3))))
        (i32.store (local.get $out)
          (i32.add (i32.add (i32x4.extract_lane 0 (local.get $a0)) (i32x4.extract_lane 1 (local.get $a0)))
                   (i32.add (i32x4.extract_lane 2 (local.get $a0)) (i32x4.extract_lane 3 (local.get $a0)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $rows))))
)
