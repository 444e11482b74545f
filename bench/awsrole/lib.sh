# shellcheck shell=bash
# Sourced by the setup files: hookbench runs them with cwd = its work dir
# (holding a/ and b/) and HOME = its sandbox home. Needs AWSROLE_BENCH_BIN
# (bin/ with awsrole and teststs) and AWS_ENDPOINT_URL_STS (an unused
# 127.0.0.1 address), both passed with hookbench's -e.
set -euo pipefail

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bin=${AWSROLE_BENCH_BIN:?}
url=${AWS_ENDPOINT_URL_STS:?}
sts_pid=

# The test STS runs only during setup: the measured prompts must be answered
# from the cache, and a prompt that tried to call STS would fail loudly.
start_sts() {
	"${bin}/teststs" -addr "${url#http://}" -config "${bench_dir}/sts.toml" -max-lifetime 2m >sts.out 2>sts.err &
	sts_pid=$!
	local _
	for _ in $(seq 200); do
		[[ -s sts.out ]] && break
		sleep 0.05
	done
	[[ $(head -n1 sts.out) == "${url}" ]] || {
		cat sts.err >&2
		echo "setup: teststs did not start on ${url}" >&2
		exit 1
	}
	mkdir -p "${HOME}/.aws"
	printf '[default]\naws_access_key_id = AKIABENCHALICE000001\naws_secret_access_key = bench/alice+secret/000000000000000000000\n' >"${HOME}/.aws/credentials"
}

stop_sts() {
	kill "${sts_pid}"
	wait "${sts_pid}" || :
	sts_pid=
}

# project DIR ROLE: an allowed .awsrole.toml in DIR whose credentials are cached.
project() {
	printf 'role_arn = "%s"\nregion = "eu-west-1"\nduration = "4h"\n' "$2" >"$1/.awsrole.toml"
	"${bin}/awsrole" allow "$1"
	"${bin}/awsrole" login "$1"
}

# cached DIR: with STS stopped, an export in DIR must still assume the role.
cached() {
	local code
	code=$(cd "$1" && PWD=$(pwd) "${bin}/awsrole" export bash)
	[[ ${code} == *AWS_ACCESS_KEY_ID=* ]] || {
		echo "setup: the credentials of $1 are not cached" >&2
		exit 1
	}
}
