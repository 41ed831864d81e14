#!/usr/bin/env bash
# Figures of the code's layout: the largest product source files, the folder dependency graphs of the connector and
# the functions (with their cycles), README length, test projects and, where the `duplicates` tool is installed,
# repeated code per tree.
#   tests/layout-report.sh                 this checkout
#   tests/layout-report.sh --before REV    the same figures for an earlier commit (built in a temporary worktree)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
if [ "${1:-}" = "--before" ]; then
    rev=${2:?usage: --before REV}
    tree=$(mktemp -d)
    trap 'git -C "$root" worktree remove --force "$tree" >/dev/null 2>&1 || true' EXIT
    git worktree add -q --detach "$tree" "$rev"
    dotnet build "$tree/connector" -v q -nologo >/dev/null
    assemblies=$(dirname "$(find "$tree/connector/bin" -name BrokerChat.Connector.dll | head -n 1)")
    cd "$tree"
else
    dotnet build tests/BrokerChat.Architecture.Tests -v q -nologo >/dev/null
    assemblies=""
fi

echo "## Largest product source files"
find connector functions shared -name '*.cs' -not -path '*/obj/*' -not -path '*/bin/*' -print0 | xargs -0 wc -l | sort -rn | sed -n '2,11p'
echo
echo "## README.md: $(wc -l < README.md) lines"
echo
echo "## Test projects"
find tests -maxdepth 2 -name '*.csproj' | sort
echo
echo "## Folder dependency graphs"
report=$(mktemp)
BROKERCHAT_LAYOUT_REPORT=$report BROKERCHAT_LAYOUT_ASSEMBLIES=$assemblies \
    dotnet test --project "$root/tests/BrokerChat.Architecture.Tests" --no-build -- --filter-class "*FolderDependencyTests" >/dev/null 2>&1 || true
cat "$report"
rm -f "$report"
if command -v duplicates >/dev/null 2>&1; then
    echo "## Repeated code (duplicates, pairs of six or more shared lines)"
    for tree in connector functions shared tests; do
        echo "$tree: $(duplicates --repo "$tree" --seconds 60 | head -n 1)"
    done
fi
