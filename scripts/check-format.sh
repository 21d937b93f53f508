#!/bin/sh
# check-format: every tracked C source and header is formatted as .clang-format
# says (clang-format --dry-run -Werror). Exit 0 when all are, 1 naming each file
# that is not (clang-format prints the first differences), 2 on bad usage.
#   check-format.sh SOURCE_ROOT [CLANG_FORMAT]
# Files: `git ls-files` *.c *.h (a checkout without git: every *.c *.h found),
# except subprojects/ (libfdt, not ours) and generated tables (*.inc).
set -u
root=${1:-}
cf=${2:-clang-format}
[ -n "$root" ] && [ -f "$root/.clang-format" ] || { echo "usage: check-format.sh SOURCE_ROOT [CLANG_FORMAT]" >&2; exit 2; }
cd "$root" || exit 2
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	list=$(git ls-files '*.c' '*.h')
else
	list=$(find . -name '*.c' -o -name '*.h' | sed 's|^\./||')
fi
bad=0
n=0
for f in $list; do
	case "$f" in subprojects/*|build*/*) continue ;; esac
	n=$((n + 1))
	if ! "$cf" --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then
		echo "format: $f is not formatted (clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
if [ "$bad" -ne 0 ]; then
	echo "format: $bad of $n files differ from .clang-format"
	exit 1
fi
echo "format: $n files formatted"
exit 0
