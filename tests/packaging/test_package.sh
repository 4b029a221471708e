#!/usr/bin/env bash
# Package test: cpack -> dpkg -x -> run the extracted CLI; validate desktop entry and metainfo; with the
# GUI, check that the package ships the demo (resources/demo) and that the extracted workbench and CLI
# use the extracted copy, not the source tree of this build.
set -euo pipefail
build=$1
src=$2
cd "$build"
rm -rf package
start=$SECONDS
cpack -G DEB >cpack.log 2>&1 || { cat cpack.log; exit 1; }
deb=$(ls package/*.deb | head -n 1)
[ -f "$deb" ] || { echo "no .deb produced"; exit 1; }
echo "package: $deb ($(stat -c %s "$deb") bytes, cpack $((SECONDS - start)) s)"
dpkg-deb --info "$deb" | grep -E 'Package|Version|Depends|Installed-Size'
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

  # The demo (packaging/CMakeLists.txt): every file the GUI and README use, byte-identical to the source.
  demo=usr/share/moe-workbench/demo
  contents=$(dpkg-deb --contents "$deb")
  files=(calib.txt eval.txt tasks.jsonl README.md SOURCES.md tokenizer/tokenizer.json tokenizer/tokenizer_config.json)
  for m in qwen mixtral deepseek; do
    files+=("models/$m/config.json" "models/$m/model.safetensors" "models/$m/tokenizer.json")
  done
  for f in "${files[@]}"; do
    grep -q " \./$demo/$f\$" <<<"$contents" || { echo "the package lacks /$demo/$f"; exit 1; }
    cmp "$root/$demo/$f" "$src/resources/demo/$f"
  done
  if grep -q " \./$demo/.*\.sh\$" <<<"$contents"; then echo "the package ships a demo generator script"; exit 1; fi
  echo "demo: ${#files[@]} files checked, $(du -sb "$root/$demo" | cut -f1) bytes installed"

  # The extracted workbench finds the extracted demo (app/gui/demo_paths.cpp), not the source tree.
  found=$(env -u MOEWB_DEMO_DIR QT_QPA_PLATFORM=offscreen "$root/usr/bin/moe-workbench" --print-demo-dir)
  echo "extracted moe-workbench --print-demo-dir: $found"
  [ "$found" = "$(realpath "$root/$demo")" ] \
    || { echo "expected $(realpath "$root/$demo") (the source tree is $src/resources/demo)"; exit 1; }

  # The extracted CLI reads the extracted demo model (inspect validates every tensor).
  out=$("$root/usr/bin/moe-compress" inspect "$root/$demo/models/qwen")
  echo "$out"
  grep -qF "$root/$demo/models/qwen/config.json" <<<"$out" && grep -q "Qwen2MoeForCausalLM" <<<"$out" \
    || { echo "unexpected inspect output"; exit 1; }
fi
echo "package test passed"
