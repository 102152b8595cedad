#!/usr/bin/env bash
# Installs convolve as a command-line tool:   scripts/install.sh [PREFIX]      (default /usr/local)
#
#   PREFIX/bin/convolve                                   release build; the Swift runtime and Foundation are
#                                                         linked in (--static-swift-stdlib), so it runs without
#                                                         the Swift toolchain (libpng, libjpeg, libwebp, libtiff,
#                                                         libheif, lcms2, zlib and OpenBLAS stay shared: the
#                                                         Debian packages setup.sh installs)
#   PREFIX/share/convolve/Filters/                        the filter library, Filters/layers and Filters/pipelines;
#                                                         the binary finds it there from any directory
#   PREFIX/share/bash-completion/completions/convolve     shell completions: subcommands, options, file paths
#   PREFIX/share/zsh/site-functions/_convolve             and library filter names (--filter, `filters NAME`)
#   PREFIX/share/fish/vendor_completions.d/convolve.fish
#
# Builds in .build-install/ (not .build/), so the debug and benchmark builds are left alone. Writes to PREFIX
# through sudo when PREFIX is not writable and this is not root. Run it again to update; `scripts/install.sh
# --uninstall [PREFIX]` removes what it installed. `--binary FILE` installs FILE (a convolve built elsewhere, e.g.
# the debug build the README test installs) instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

uninstall=0
binary=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --uninstall) uninstall=1; shift ;;
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    *) break ;;
  esac
done
if [[ $# -gt 1 || ${1:-} == -* || ( -n $binary && ! -x $binary ) ]]; then
  echo "usage: scripts/install.sh [--uninstall] [--binary FILE] [PREFIX]   (default PREFIX: /usr/local)" >&2
  exit 64
fi
prefix=${1:-/usr/local}
[[ $prefix == /* ]] || prefix="$PWD/$prefix"
prefix=${prefix%/}

installed=(
  "$prefix/bin/convolve"
  "$prefix/share/convolve"
  "$prefix/share/bash-completion/completions/convolve"
  "$prefix/share/zsh/site-functions/_convolve"
  "$prefix/share/fish/vendor_completions.d/convolve.fish"
)

# sudo only when needed: the first existing folder on the way to PREFIX is not writable by us.
sudo=""
probe=$prefix
while [[ ! -e $probe ]]; do probe=$(dirname "$probe"); done
if [[ ! -w $probe && $(id -u) -ne 0 ]]; then sudo="sudo"; fi

if [[ $uninstall == 1 ]]; then
  $sudo rm -rf "${installed[@]}"
  echo "removed convolve from $prefix"
  exit 0
fi

if [[ -n $binary ]]; then
  bin=$binary # built already, so its libraries are there
else
  scripts/setup.sh # libpng, libjpeg, libwebp, libtiff, libheif, lcms2, OpenBLAS (apt-get, only when missing)
  echo "building convolve (release, static Swift runtime) in .build-install/ ..."
  # The static link makes glibc warn that `mktemp` is used: by Foundation's own library (the temporary file of
  # an atomic Data write, createTemporaryFile in Data+Writing.swift), not by convolve. That line is left out.
  { swift build -c release --static-swift-stdlib --product convolve --scratch-path .build-install 2>&1; } |
    { grep -v "the use of \`mktemp' is dangerous" || true; }
  bin=$(swift build -c release --static-swift-stdlib --scratch-path .build-install --show-bin-path)/convolve
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
mkdir -p "$staging/bash" "$staging/zsh" "$staging/fish"
# `-o default`: where convolve offers nothing (a free-form value), bash completes file names as it would alone.
"$bin" --generate-completion-script bash | sed "s/^complete -o filenames -F/complete -o default -o filenames -F/" \
  > "$staging/bash/convolve"
"$bin" --generate-completion-script zsh > "$staging/zsh/_convolve"
"$bin" --generate-completion-script fish > "$staging/fish/convolve.fish"

$sudo install -d "$prefix/bin" "$prefix/share/convolve" "$prefix/share/bash-completion/completions" \
  "$prefix/share/zsh/site-functions" "$prefix/share/fish/vendor_completions.d"
# Symbols stripped (91 MB -> 64 MB; most of the rest is Foundation's ICU data). The binary is replaced by a
# rename, so a running convolve keeps its old file.
cp "$bin" "$staging/convolve"
if command -v strip > /dev/null; then strip "$staging/convolve"; fi
$sudo install -m 755 "$staging/convolve" "$prefix/bin/.convolve.new"
$sudo mv -f "$prefix/bin/.convolve.new" "$prefix/bin/convolve"
# The library is replaced whole: filters removed from Filters/ do not linger.
$sudo rm -rf "$prefix/share/convolve/Filters.new"
$sudo cp -R Filters "$prefix/share/convolve/Filters.new"
$sudo chmod -R a+rX "$prefix/share/convolve/Filters.new"
$sudo rm -rf "$prefix/share/convolve/Filters"
$sudo mv "$prefix/share/convolve/Filters.new" "$prefix/share/convolve/Filters"
$sudo install -m 644 "$staging/bash/convolve" "$prefix/share/bash-completion/completions/convolve"
$sudo install -m 644 "$staging/zsh/_convolve" "$prefix/share/zsh/site-functions/_convolve"
$sudo install -m 644 "$staging/fish/convolve.fish" "$prefix/share/fish/vendor_completions.d/convolve.fish"

# Check the installed binary from an empty directory, with nothing of the toolchain on PATH.
check=$(cd "$staging" && env -i PATH=/usr/bin:/bin HOME="${HOME:-/}" "$prefix/bin/convolve" filters) || {
  echo "installed, but $prefix/bin/convolve filters failed:" >&2
  echo "$check" >&2
  exit 1
}
echo "installed convolve $("$prefix/bin/convolve" --version) in $prefix:"
echo "  $prefix/bin/convolve"
# `convolve filters` lists the filters, then the layers, then the pipelines, each section ending with a blank line.
counts=$(printf '%s\n\n' "$check" | awk '/^  /{n++} /^$/{printf "%d ", n; n=0}')
read -r filters layers pipelines <<< "$counts"
echo "  $prefix/share/convolve/Filters (${filters:-0} filters, ${layers:-0} layer files, ${pipelines:-0} pipelines)"
echo "  completions for bash, zsh and fish under $prefix/share"
case ":$PATH:" in *":$prefix/bin:"*) ;; *) echo "note: $prefix/bin is not on PATH; add it (export PATH=\"$prefix/bin:\$PATH\")" ;; esac
