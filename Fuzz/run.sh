#!/usr/bin/env bash
# Builds and runs one codec fuzz target:  Fuzz/run.sh png|jpeg SECONDS [extra libFuzzer flags]
# The binary goes to Fuzz/.build/fuzz_TARGET; new inputs to Fuzz/.build/corpus-TARGET (the committed
# seeds in Fuzz/corpus/TARGET are only read); crashers to Fuzz/.build/artifacts-TARGET/.
set -euo pipefail
target=${1:?usage: Fuzz/run.sh png|jpeg SECONDS [libFuzzer flags]}
seconds=${2:?usage: Fuzz/run.sh png|jpeg SECONDS [libFuzzer flags]}
shift 2
case "$target" in png | jpeg) ;; *) echo "unknown target '$target' (png or jpeg)" >&2; exit 64 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
out="$here/.build"
mkdir -p "$out/corpus-$target" "$out/artifacts-$target"
cc=${CC:-clang}
bin="$out/fuzz_$target"
if [[ ! -x "$bin" || -n "$(find "$here"/*.c "$here"/*.h "$root"/Sources/CCodecs -newer "$bin" -print -quit)" ]]; then
  "$cc" -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$root/Sources/CCodecs/include" -I"$root/Sources/CCodecs" \
    "$here/fuzz_$target.c" "$root"/Sources/CCodecs/*.c -lpng16 -ljpeg -lz -o "$bin"
fi
dict=()
[[ -f "$here/$target.dict" ]] && dict=(-dict="$here/$target.dict")
cd "$out"  # with -jobs, libFuzzer logs to ./fuzz-0.log
exec "$bin" -jobs=1 -workers=1 -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
  -print_final_stats=1 -artifact_prefix="$out/artifacts-$target/" "${dict[@]}" "$@" \
  "$out/corpus-$target" "$here/corpus/$target"
