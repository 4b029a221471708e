#!/usr/bin/env bash
# Regenerate tests/reference/golden/ (never run in CI). Needs PyPI access; no model hub access.
set -euo pipefail
cd "$(dirname "$0")/../.."

[ -x .venv-ref/bin/python ] || python3 -m venv .venv-ref
.venv-ref/bin/pip install -q -r tests/reference/requirements.txt
.venv-ref/bin/python tests/reference/gen_golden_models.py "$@"

REMOTE=.venv-ref/remote/deepseek_moe
if [ -f "$REMOTE/modeling_deepseek.py" ]; then
  [ -x .venv-ref-deepseek/bin/python ] || python3 -m venv .venv-ref-deepseek
  purelib() { "$1" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'; }
  # torch is shared with .venv-ref; the old transformers in .venv-ref-deepseek shadows the new one.
  purelib .venv-ref/bin/python > "$(purelib .venv-ref-deepseek/bin/python)/zz_torch_from_ref.pth"
  .venv-ref-deepseek/bin/pip install -q -r tests/reference/requirements-deepseek-moe.txt
  .venv-ref-deepseek/bin/python tests/reference/gen_golden_deepseek_moe.py --remote-dir "$REMOTE"
else
  echo "NOTE: $REMOTE/modeling_deepseek.py missing: golden/deepseek_moe not regenerated (see README.md)" >&2
fi

.venv-ref/bin/python tests/reference/check_golden_independent.py
