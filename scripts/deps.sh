#!/usr/bin/env bash
# deps.sh TOOL... - make sure the tools the tests drive are installed,
# installing the missing ones with apt-get (Debian package per tool).
set -euo pipefail

declare -A package=(
	[zsh]=zsh [fish]=fish [fish_indent]=fish ["/usr/bin/aws"]=awscli
	[shellcheck]=shellcheck [shfmt]=shfmt [expect]=expect [direnv]=direnv [strace]=strace
)

missing=()
for tool in "$@"; do
	pkg=${package[$tool]:?"deps.sh: no package known for $tool"}
	if ! command -v "$tool" >/dev/null 2>&1; then
		missing+=("$pkg")
	fi
done
((${#missing[@]} == 0)) && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
sudo=()
if ((EUID != 0)); then
	command -v sudo >/dev/null 2>&1 || {
		echo "deps.sh: need root to install: ${missing[*]} (apt-get install ${missing[*]})" >&2
		exit 1
	}
	sudo=(sudo)
fi
echo "deps.sh: installing ${missing[*]}" >&2
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
