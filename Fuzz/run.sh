#!/usr/bin/env bash
# Builds and runs one fuzz target:  Fuzz/run.sh png|jpeg|webp|tiff|heif|parsers|onnx SECONDS [extra libFuzzer flags]
#
# png, jpeg, webp, tiff, heif: C harnesses around the CCodecs shim, built with clang -fsanitize=fuzzer,address,undefined
#   against the system libpng / libjpeg-turbo / libwebp / libtiff / libheif (not instrumented: coverage is the shim's).
# parsers: a Swift harness (fuzz_parsers.swift) compiled with swiftc -sanitize=fuzzer,address together
#   with the ConvolveCore sources and the parser files of ConvolveFormats, as one module.
# onnx: a Swift harness (fuzz_onnx.swift) for the ONNX loader, planner and executor: SwiftProtobuf (from
#   .build/checkouts, so run `swift build` once first) as its own module, then ConvolveCore, ConvolveCNN
#   and Sources/ConvolveONNX as one module with the harness.
#
# Everything goes to Fuzz/.build/TARGET/: the binary, new corpus entries (corpus/; the committed seeds
# in Fuzz/corpus/TARGET are only read), crashers (artifacts/) and libFuzzer's log (fuzz-0.log).
set -euo pipefail
usage="usage: Fuzz/run.sh png|jpeg|webp|tiff|heif|parsers|onnx SECONDS [libFuzzer flags]"
target=${1:?$usage}
seconds=${2:?$usage}
shift 2
case "$target" in png | jpeg | webp | tiff | heif | parsers | onnx) ;; *) echo "unknown target '$target'; $usage" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$here/.build/$target"
mkdir -p "$out/corpus" "$out/artifacts"
bin="$out/fuzz_$target"

# CKernels, the C convolution kernels ConvolveCNN imports: compiled with ASan and fuzzer coverage, with a
# module map for swiftc.
ckernels() {
  local dir="$out/ckernels"
  mkdir -p "$dir"
  printf 'module CKernels {\n  header "%s"\n  export *\n}\n' "$root/Sources/CKernels/include/ckernels.h" \
    >"$dir/module.modulemap"
  for c in "$root"/Sources/CKernels/*.c; do
    "${CC:-clang}" -O3 -ffp-contract=off -g -fsanitize=fuzzer-no-link,address -I"$root/Sources/CKernels/include" \
      -c "$c" -o "$dir/$(basename "${c%.c}").o"
  done
}

if [[ $target == parsers ]]; then
  # ConvolveCore and ConvolveCNN whole (pipelines, pools and .npy filter banks need the layers), the text and
  # file parsers of ConvolveFormats (all but the image files, which need CCodecs: the codec, its metadata and
  # what reads them; and the ONNX loader) and the lecture tools.
  mapfile -t sources < <(find "$root/Sources/ConvolveCore" "$root/Sources/ConvolveCNN" "$root/Sources/ConvolveLecture" \
    -name '*.swift' | sort; find "$root/Sources/ConvolveFormats" -maxdepth 1 -name '*.swift' | sort |
    xargs grep -LE '^import CCodecs$|ImageMetadata|loadImage\(|saveImage\('
    ls "$root/Sources/ConvolveJobs/ModelFiles/PipelineFile.swift" "$root/Sources/ConvolveJobs/ModelFiles/FilterBankFile.swift")
  if [[ ! -x "$bin" || -n "$(find "$here/fuzz_parsers.swift" "${sources[@]}" "$root/Sources/CKernels" -newer "$bin" -print -quit)" ]]; then
    ckernels
    rm -rf "$out/src" && mkdir -p "$out/src"
    # One module named ConvolveCore (`ConvolveCNN.name` qualifications rewritten); file names prefixed with
    # their folder, as ConvolveCore and ConvolveCNN both have a Resize.swift.
    for f in "${sources[@]}"; do
      sed -E '/^import Convolve(Core|CNN|Formats|Lecture|Jobs)$/d; s/\bConvolve(CNN|Formats|Lecture|Jobs)\./ConvolveCore./g' "$f" \
        >"$out/src/$(basename "$(dirname "$f")")_$(basename "$f")"
    done
    swiftc -sanitize=fuzzer,address -parse-as-library -module-name ConvolveCore -O -g \
      -I "$out/ckernels" "$out"/ckernels/*.o \
      "$here/fuzz_parsers.swift" "$out"/src/*.swift -o "$bin" \
      2> >(grep -v "Cannot export local symbol" >&2) # gold's harmless noise about ASan's symbols
  fi
elif [[ $target == onnx ]]; then
  protobuf="$root/.build/checkouts/swift-protobuf/Sources/SwiftProtobuf"
  [[ -d "$protobuf" ]] || { echo "no $protobuf: run 'swift build' once first" >&2; exit 1; }
  mapfile -t sources < <(find "$root/Sources/ConvolveCore" "$root/Sources/ConvolveCNN" "$root/Sources/ConvolveONNX" \
    -name '*.swift' | sort)
  if [[ ! -f "$out/lib/libSwiftProtobuf.a" ]]; then
    mkdir -p "$out/lib"
    swiftc -sanitize=fuzzer,address -parse-as-library -module-name SwiftProtobuf -package-name swift_protobuf -O -g \
      -emit-module -emit-module-path "$out/lib/SwiftProtobuf.swiftmodule" -emit-library -static \
      -o "$out/lib/libSwiftProtobuf.a" "$protobuf"/*.swift
  fi
  if [[ ! -x "$bin" || -n "$(find "$here/fuzz_onnx.swift" "${sources[@]}" "$root/Sources/CKernels" -newer "$bin" -print -quit)" ]]; then
    ckernels
    rm -rf "$out/src" && mkdir -p "$out/src"
    # One module named ConvolveCore (`ConvolveCNN.name` qualifications rewritten); file names prefixed with
    # their folder, as ConvolveCore and ConvolveCNN both have a Resize.swift.
    for f in "${sources[@]}"; do
      sed '/^import ConvolveCore$/d; /^import ConvolveCNN$/d; s/\bConvolveCNN\./ConvolveCore./g' "$f" \
        >"$out/src/$(basename "$(dirname "$f")")_$(basename "$f")"
    done
    swiftc -sanitize=fuzzer,address -parse-as-library -module-name ConvolveCore -O -g \
      -I "$out/ckernels" -I "$out/lib" -L "$out/lib" -lSwiftProtobuf \
      "$out"/ckernels/*.o "$here/fuzz_onnx.swift" "$out"/src/*.swift -o "$bin" \
      2> >(grep -v "Cannot export local symbol" >&2) # gold's harmless noise about ASan's symbols
  fi
else
  if [[ ! -x "$bin" || -n "$(find "$here"/*.c "$here"/*.h "$root"/Sources/CCodecs -newer "$bin" -print -quit)" ]]; then
    "${CC:-clang}" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
      -fno-sanitize-recover=undefined -I"$root/Sources/CCodecs/include" -I"$root/Sources/CCodecs" \
      "$here/fuzz_$target.c" "$root"/Sources/CCodecs/*.c -lpng16 -ljpeg -lwebp -lwebpmux -lwebpdemux -ltiff -lheif -llcms2 -lz -o "$bin" \
      2> >(grep -v "Cannot export local symbol" >&2) # gold's harmless noise about ASan's symbols
  fi
fi

dict=()
[[ -f "$here/$target.dict" ]] && dict=(-dict="$here/$target.dict")
cd "$out" # with -jobs, libFuzzer logs to ./fuzz-0.log
exec "$bin" -jobs=1 -workers=1 -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="$out/artifacts/" "${dict[@]}" "$@" "$out/corpus" "$here/corpus/$target"
