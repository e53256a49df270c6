;; SIMD kernels for resample.ts's common case: an opaque RGBA image resampled separably with
;; precomputed taps. A pixel is one f32x4 (R, G, B, A) throughout, so every tap is one
;; multiply-add on a whole pixel. Assembled by scripts/gen-wasm.ts into resample-wasm.ts
;; (npm run gen:wasm); resample-wasm.test.ts checks the two agree.
;;
;; Memory layout is the caller's: every pointer is a byte offset into the imported memory.
(module
  (import "env" "memory" (memory 1))

  ;; Vertical pass. For output row j the k taps live at taps + (j*k + t)*8 as
  ;; (i32 byte offset of the first used source pixel of that source row, f32 weight).
  ;; Writes rows x span pixels of f32x4 to tmp (16 bytes per pixel, rows packed).
  (func (export "vertical")
    (param $src i32) (param $taps i32) (param $k i32) (param $rows i32) (param $span i32) (param $tmp i32)
    (local $j i32) (local $t i32) (local $x i32) (local $tap i32) (local $s i32) (local $d i32)
    (local $end i32) (local $w v128) (local $v v128)
    (block $rows_done
      (loop $row
        (br_if $rows_done (i32.ge_u (local.get $j) (local.get $rows)))
        (local.set $t (i32.const 0))
        (block $taps_done
          (loop $each_tap
            (br_if $taps_done (i32.ge_u (local.get $t) (local.get $k)))
            (local.set $tap (i32.add (local.get $taps)
              (i32.shl (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $t)) (i32.const 3))))
            (local.set $s (i32.add (local.get $src) (i32.load (local.get $tap))))
            (local.set $w (f32x4.splat (f32.load offset=4 (local.get $tap))))
            ;; area taps are padded with zero weights (after the real ones): skip those rows
            (if (i32.and (i32.ne (local.get $t) (i32.const 0)) (f32.eq (f32.load offset=4 (local.get $tap)) (f32.const 0)))
              (then
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $each_tap)))
            (local.set $d (i32.add (local.get $tmp) (i32.shl (i32.mul (local.get $j) (local.get $span)) (i32.const 4))))
            (local.set $end (i32.add (local.get $d) (i32.shl (local.get $span) (i32.const 4))))
            (if (i32.eqz (local.get $t))
              (then
                ;; first tap: store
                ;; four pixels per step: one 16-byte load
                (block $st4_done
                  (loop $st4
                    (br_if $st4_done (i32.gt_u (i32.add (local.get $d) (i32.const 64)) (local.get $end)))
                    (local.set $v (v128.load (local.get $s)))
                    (v128.store offset=0 (local.get $d) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v))))))
                    (v128.store offset=16 (local.get $d) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v))))))
                    (v128.store offset=32 (local.get $d) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_high_i8x16_u (local.get $v))))))
                    (v128.store offset=48 (local.get $d) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (i16x8.extend_high_i8x16_u (local.get $v))))))
                    (local.set $s (i32.add (local.get $s) (i32.const 16)))
                    (local.set $d (i32.add (local.get $d) (i32.const 64)))
                    (br $st4)))
                ;; the last 0-3 pixels
                (block $st1_done
                  (loop $st1
                    (br_if $st1_done (i32.ge_u (local.get $d) (local.get $end)))
                    (v128.store (local.get $d) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $s)))))))
                    (local.set $s (i32.add (local.get $s) (i32.const 4)))
                    (local.set $d (i32.add (local.get $d) (i32.const 16)))
                    (br $st1))))
              (else
                ;; further taps: accumulate
                ;; four pixels per step: one 16-byte load
                (block $acc4_done
                  (loop $acc4
                    (br_if $acc4_done (i32.gt_u (i32.add (local.get $d) (i32.const 64)) (local.get $end)))
                    (local.set $v (v128.load (local.get $s)))
                    (v128.store offset=0 (local.get $d) (f32x4.add (v128.load offset=0 (local.get $d)) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v)))))))
                    (v128.store offset=16 (local.get $d) (f32x4.add (v128.load offset=16 (local.get $d)) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (i16x8.extend_low_i8x16_u (local.get $v)))))))
                    (v128.store offset=32 (local.get $d) (f32x4.add (v128.load offset=32 (local.get $d)) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_high_i8x16_u (local.get $v)))))))
                    (v128.store offset=48 (local.get $d) (f32x4.add (v128.load offset=48 (local.get $d)) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_high_i16x8_u (i16x8.extend_high_i8x16_u (local.get $v)))))))
                    (local.set $s (i32.add (local.get $s) (i32.const 16)))
                    (local.set $d (i32.add (local.get $d) (i32.const 64)))
                    (br $acc4)))
                ;; the last 0-3 pixels
                (block $acc1_done
                  (loop $acc1
                    (br_if $acc1_done (i32.ge_u (local.get $d) (local.get $end)))
                    (v128.store (local.get $d) (f32x4.add (v128.load (local.get $d)) (f32x4.mul (local.get $w) (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero (local.get $s))))))))
                    (local.set $s (i32.add (local.get $s) (i32.const 4)))
                    (local.set $d (i32.add (local.get $d) (i32.const 16)))
                    (br $acc1)))))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $each_tap)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $row))))

  ;; Horizontal pass. For output column i the k taps live at taps + (i*k + t)*8 as
  ;; (i32 byte offset of the tmp pixel within its row, f32 weight). Output pixel (i, j) of
  ;; channel c (R, G, B) is stored as f32 value * mul_c + add_c at element
  ;; base_c + j*rowStride + i*pixStride of out.
  (func (export "horizontal")
    (param $tmp i32) (param $taps i32) (param $k i32) (param $cw i32) (param $ch i32) (param $span i32)
    (param $out i32) (param $rowStride i32) (param $pixStride i32)
    (param $b0 i32) (param $b1 i32) (param $b2 i32)
    (param $m0 f32) (param $m1 f32) (param $m2 f32) (param $a0 f32) (param $a1 f32) (param $a2 f32)
    (local $j i32) (local $i i32) (local $t i32) (local $row i32) (local $tap i32) (local $p i32)
    (local $acc v128) (local $v v128) (local $mul v128) (local $add v128)
    (local.set $mul (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $m0)) (local.get $m1)) (local.get $m2)))
    (local.set $add (f32x4.replace_lane 2 (f32x4.replace_lane 1 (f32x4.splat (local.get $a0)) (local.get $a1)) (local.get $a2)))
    (block $rows_done
      (loop $row_loop
        (br_if $rows_done (i32.ge_u (local.get $j) (local.get $ch)))
        (local.set $row (i32.add (local.get $tmp) (i32.shl (i32.mul (local.get $j) (local.get $span)) (i32.const 4))))
        (local.set $p (i32.mul (local.get $j) (local.get $rowStride)))
        (local.set $i (i32.const 0))
        (local.set $tap (local.get $taps))
        (block $cols_done
          (loop $col
            (br_if $cols_done (i32.ge_u (local.get $i) (local.get $cw)))
            (local.set $acc (v128.const f32x4 0 0 0 0))
            (local.set $t (i32.const 0))
            (block $taps_done
              (loop $each_tap
                (br_if $taps_done (i32.ge_u (local.get $t) (local.get $k)))
                (local.set $acc (f32x4.add (local.get $acc)
                  (f32x4.mul (v128.load (i32.add (local.get $row) (i32.load (local.get $tap))))
                    (f32x4.splat (f32.load offset=4 (local.get $tap))))))
                (local.set $tap (i32.add (local.get $tap) (i32.const 8)))
                (local.set $t (i32.add (local.get $t) (i32.const 1)))
                (br $each_tap)))
            (local.set $v (f32x4.add (f32x4.mul (local.get $acc) (local.get $mul)) (local.get $add)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $b0) (local.get $p)) (i32.const 2)))
              (f32x4.extract_lane 0 (local.get $v)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $b1) (local.get $p)) (i32.const 2)))
              (f32x4.extract_lane 1 (local.get $v)))
            (f32.store (i32.add (local.get $out) (i32.shl (i32.add (local.get $b2) (local.get $p)) (i32.const 2)))
              (f32x4.extract_lane 2 (local.get $v)))
            (local.set $p (i32.add (local.get $p) (local.get $pixStride)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $col)))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $row_loop))))
)
