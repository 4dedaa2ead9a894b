# Shared by the scripts: repository root and the cache folder (same rule as EdgeModels/EdgePaths.cs).
EDGE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${EDGE_CACHE_DIR:-}" ]; then EDGE_CACHE="$EDGE_CACHE_DIR"
elif [ -n "${XDG_CACHE_HOME:-}" ]; then EDGE_CACHE="$XDG_CACHE_HOME/edge"
else EDGE_CACHE="$HOME/.cache/edge"; fi
EDGE_BUILD_CONFIG="${EDGE_BUILD_CONFIG:-Release}"
EDGE_CLI_DLL="$EDGE_ROOT/EdgeAgent/bin/$EDGE_BUILD_CONFIG/net10.0/edge.dll"
say() { printf '\033[1m[edge]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[edge] error:\033[0m %s\n' "$*" >&2; exit 1; }
