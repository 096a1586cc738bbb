#!/bin/sh
# mklist.sh TARGET TABLE: print a gen_init_cpio list of TARGET's tree merged
# with TABLE, sorted by path.  Owners are always root; modes are normalised
# (0755 directories and executables, 0644 other files) unless TABLE says.
set -eu
target=$1
table=$2
export LC_ALL=C
{
	grep -v '^[[:space:]]*\(#\|$\)' "$table" | awk '{ print $2 "\t" $0 }'
	cd "$target"
	find . -mindepth 1 ! -name .stamp | sed 's|^\.||' | while IFS= read -r p; do
		if [ -L ".$p" ]; then
			printf '%s\tslink %s %s 0777 0 0\n' "$p" "$p" "$(readlink ".$p")"
		elif [ -d ".$p" ]; then
			printf '%s\tdir %s 0755 0 0\n' "$p" "$p"
		elif [ -x ".$p" ]; then
			printf '%s\tfile %s %s 0755 0 0\n' "$p" "$p" "$target$p"
		else
			printf '%s\tfile %s %s 0644 0 0\n' "$p" "$p" "$target$p"
		fi
	done
} | sort -t "$(printf '\t')" -k1,1 -s | awk -F '\t' '!seen[$1]++ { print $2 }'
