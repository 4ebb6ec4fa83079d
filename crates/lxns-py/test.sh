#!/usr/bin/env bash
# Builds the abi3 wheel, installs it into a fresh venv and runs the Python tests (pytest),
# with every CPython >= 3.9 that is found (at least python3). Run as root, as the Rust suite.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${LXNS_PY_WORK:-$here/../../target/python}"
mkdir -p "$work"
pythons=()
for c in "${LXNS_PYTHONS:-}" /root/.pyenv/versions/3.9*/bin/python3 /root/.pyenv/versions/3.12*/bin/python3 python3; do
  [ -n "$c" ] && command -v "$c" >/dev/null 2>&1 || continue
  "$c" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null || continue
  pythons+=("$(command -v "$c")")
done
[ ${#pythons[@]} -gt 0 ] || { echo "test.sh: no CPython >= 3.9 with venv" >&2; exit 1; }
build="$work/build-venv"
[ -x "$build/bin/maturin" ] || { "${pythons[0]}" -m venv "$build" && "$build/bin/pip" install -q "maturin>=1.9,<2"; }
rm -rf "$work/dist"
"$build/bin/maturin" build --release --quiet -m "$here/Cargo.toml" -o "$work/dist" -i "${pythons[0]}"
wheel=$(ls "$work"/dist/lxns_rs-*.whl)
# The lxns binary for the `lxns ls -J` comparison.
cargo build --quiet --manifest-path "$here/../../Cargo.toml" -p lxns-cli
export LXNS_BIN="$here/../../target/debug/lxns"
seen=""
for py in "${pythons[@]}"; do
  v=$("$py" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  case " $seen " in *" $v "*) continue ;; esac
  seen="$seen $v"
  venv="$work/venv-$v"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install -q "$wheel" "pytest>=7"
  echo "== Python $v: $wheel"
  (cd "$here/tests" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$@")
done
