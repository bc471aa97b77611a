#!/usr/bin/env bash
# Install what kr needs from Debian/Ubuntu packages (and cargo-deb from crates.io), only what is
# missing.
# Uses sudo when not root; never asks questions (jackd2's real-time prompt included).
set -euo pipefail
# ghc + libghc-tidal-dev: a real TidalCycles for the SuperDirt tests; sonic-pi-samples (CC0) and
# hydrogen-data (its TR808 kit, GPL) are what `make samples` builds the bundled banks from.
# systemd: systemd-analyze, which the tests use to check the units; dpkg-dev: dpkg-shlibdeps, which
# cargo-deb uses to find the package's library dependencies; pipewire*: the tests run krd under
# pw-jack with a headless PipeWire of their own (pipewire-jack leaves jackd2's libjack the default);
# lintian: the tests check the Debian package with it. cmake + libclang-dev: the Ableton Link
# library that `cargo build --features link` compiles (its C++ with cmake, its bindings with
# bindgen); `make test-link` needs them, the default build does not.
PACKAGES=(faust libfaust2 faust-common jackd2 libjack-jackd2-dev pkg-config python3-venv liblo-tools systemd dpkg-dev
  pipewire pipewire-bin pipewire-jack libspa-0.2-modules lintian
  ghc libghc-tidal-dev sonic-pi-samples hydrogen-data cmake libclang-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# cargo-deb builds the Debian package (`make deb`; the tests check what it holds).
if ! cargo deb --version >/dev/null 2>&1; then
  echo "kr: installing cargo-deb"
  cargo install -q --locked cargo-deb
fi
[ ${#missing[@]} -eq 0 ] && exit 0
echo "kr: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
