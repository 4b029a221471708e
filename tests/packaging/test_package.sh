#!/usr/bin/env bash
# Package test: cpack -> dpkg -x -> run the extracted CLI; validate desktop entry and metainfo.
set -euo pipefail
build=$1
src=$2
cd "$build"
rm -rf package
cpack -G DEB >cpack.log 2>&1 || { cat cpack.log; exit 1; }
deb=$(ls package/*.deb | head -n 1)
[ -f "$deb" ] || { echo "no .deb produced"; exit 1; }
echo "package: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | grep -E 'Package|Version|Depends'
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
out=$("$root/usr/bin/moe-compress" --version)
echo "$out"
grep -q "moe-compress 0\." <<<"$out" || { echo "unexpected --version output"; exit 1; }
if [ "${MOEWB_BUILD_GUI:-1}" = "1" ]; then
  test -x "$root/usr/bin/moe-workbench"
  desktop=$(ls "$root"/usr/share/applications/*.desktop)
  desktop-file-validate "$desktop"
  meta=$(ls "$root"/usr/share/metainfo/*.metainfo.xml)
  appstreamcli validate --no-net --pedantic "$meta" || appstreamcli validate --no-net "$meta"
  test -f "$root/usr/share/icons/hicolor/scalable/apps/moe-workbench.svg"
fi
echo "package test passed"
