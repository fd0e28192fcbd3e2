# Shared by every script: where caches live and how to find libtorch.
# Everything a fresh machine downloads or builds goes under $HSI_CACHE, outside any
# clone, so a second clone (or CI) reuses it.

HSI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export HSI_ROOT
export HSI_CACHE="${HSI_CACHE:-$HOME/.cache/hsi}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HSI_CACHE/target}"

# libtorch 2.11.0 (what tch 0.24 binds), assembled from PyPI wheels by scripts/bootstrap.
export HSI_TORCH_VERSION="2.11.0"
export LIBTORCH="${LIBTORCH:-$HSI_CACHE/libtorch-$HSI_TORCH_VERSION}"
export LIBTORCH_BYPASS_VERSION_CHECK=1
case ":${LD_LIBRARY_PATH:-}:" in
  *":$LIBTORCH/lib:"*) ;;
  *) export LD_LIBRARY_PATH="$LIBTORCH/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" ;;
esac

# Local services as bootstrap leaves them.
export HSI_PG_HOST="${HSI_PG_HOST:-127.0.0.1}"
export HSI_PG_PORT="${HSI_PG_PORT:-5432}"
export HSI_DB_PASSWORD="${HSI_DB_PASSWORD:-hsi}"
export HSI__DATABASE__URL="${HSI__DATABASE__URL:-postgres://hsi:$HSI_DB_PASSWORD@$HSI_PG_HOST:$HSI_PG_PORT/hsi}"
export HSI_REDIS_URL="${HSI_REDIS_URL:-redis://127.0.0.1:6379/0}"

say()  { printf '\033[1m==> %s\033[0m\n' "$*"; }
did()  { printf '  done: %s\n' "$*"; }
skip() { printf '  skip: %s\n' "$*"; }
die()  { printf 'error: %s\n' "$*" >&2; exit 1; }
