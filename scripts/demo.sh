#!/usr/bin/env bash
# demo.sh - a walkthrough of awsrole in a real interactive bash against the
# local test STS: no AWS account, nothing outside a temporary directory.
# Run by `make demo` after `make build`; BIN_DIR overrides where the
# binaries are.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(cd "${BIN_DIR:-${root}/bin}" && pwd)
aws=/usr/bin/aws # Debian's AWS CLI; another aws may come first on PATH
for tool in "${bin}/awsrole" "${bin}/awsrole-sts" "${bin}/teststs" "${aws}"; do
	[[ -x ${tool} ]] || {
		echo "demo: ${tool} is missing; run 'make demo'" >&2
		exit 1
	}
done

work=$(mktemp -d "${TMPDIR:-/tmp}/awsrole-demo.XXXXXX")
sts_pid=
cleanup() {
	[[ -z ${sts_pid} ]] || kill "${sts_pid}" 2>/dev/null || true
	rm -rf "${work}"
}
trap cleanup EXIT

# The local STS knows alice's (fake) keys and the demo roles.
"${bin}/teststs" -config "${root}/cmd/teststs/demo.toml" -max-lifetime 10m >"${work}/sts.out" 2>"${work}/sts.err" &
sts_pid=$!
for _ in $(seq 100); do
	[[ -s ${work}/sts.out ]] && break
	sleep 0.05
done
sts_url=$(head -n1 "${work}/sts.out")
[[ ${sts_url} == http://127.0.0.1:* ]] || {
	cat "${work}/sts.err" >&2
	echo "demo: the test STS did not start" >&2
	exit 1
}

home=${work}/home
mkdir -p "${home}/.aws" "${home}/.config/awsrole" "${home}/src/infra" "${home}/src/prod"
cat >"${home}/.aws/credentials" <<'INI'
[personal]
aws_access_key_id = AKIADEMOALICE0000001
aws_secret_access_key = demo/alice+secret/0000000000000000000000
INI
# In real life you type the code once at the prompt; here a command gives it.
echo 'mfa_process = "echo 123456"' >"${home}/.config/awsrole/config.toml"
cat >"${home}/src/infra/.awsrole.toml" <<'TOML'
role_arn = "arn:aws:iam::222222222222:role/deploy"
region   = "ap-east-1"
TOML
cat >"${home}/src/prod/.awsrole.toml" <<'TOML'
role_arn   = "arn:aws:iam::333333333333:role/prod-admin"
mfa_serial = "arn:aws:iam::111111111111:mfa/alice"
region     = "eu-west-1"
TOML
chmod -R go-w "${home}"

cat >"${work}/bashrc" <<RC
PS1=''
PATH=${bin}:\${PATH}
eval "\$(awsrole hook bash)"
# Shows a step as if typed at a prompt; the step runs on the same line.
_demo_show() { printf '\n[demo %s]$ %s\n' "\${PWD/#\${HOME}/\~}" "\$1"; }
RC

# What the audience sees: each step as typed, then what the shell prints.
walkthrough=${work}/walkthrough
step() { printf '_demo_show %q; %s\n' "$1" "$1" >>"${walkthrough}"; }
say() { printf 'printf "\\n# %%s\\n" %q\n' "$1" >>"${walkthrough}"; }

say "You start with your own profile, and a stale token some other tool left:"
step "env | grep '^AWS_\(PROFILE\|SECURITY_TOKEN\)' | sort"
say "Enter a project. Its .awsrole.toml is new, so awsrole will not use it yet:"
step "cd src/infra"
step "env | grep -c '^AWS_ACCESS_KEY_ID'"
say "Trust it. At the next prompt the role is assumed, through the regional STS of ap-east-1:"
step "awsrole allow"
step "awsrole status"
say "The real AWS CLI reads AWS_SECURITY_TOKEN first: it is now the fresh token, so it works:"
step "aws --endpoint-url \"\${AWS_ENDPOINT_URL_STS}\" sts get-caller-identity --query Arn --output text"
say "Straight into another project: its role is behind MFA (mfa_process gives the code here) and is assumed from your own keys, not from infra's role:"
step "awsrole allow ../prod"
step "cd ../prod"
step "aws --endpoint-url \"\${AWS_ENDPOINT_URL_STS}\" sts get-caller-identity --query Arn --output text"
say "Leave: every variable comes back exactly as it was:"
step "cd ~"
step "env | grep '^AWS_\(PROFILE\|SECURITY_TOKEN\|ACCESS_KEY_ID\)' | sort"

# Debian's AWS CLI first on PATH, whatever else is installed.
mkdir -p "${work}/awscli"
ln -s "${aws}" "${work}/awscli/aws"
cd "${home}"
env -i PATH="${work}/awscli:${PATH}" HOME="${home}" USER=alice TERM=dumb LANG=C.UTF-8 TZ=UTC \
	AWS_PROFILE=personal AWS_SECURITY_TOKEN=stale-token-from-another-tool \
	AWS_ENDPOINT_URL_STS="${sts_url}" AWS_EC2_METADATA_DISABLED=true \
	bash --noprofile --noediting --rcfile "${work}/bashrc" -i <"${walkthrough}" 2>&1 |
	grep -v -e '^bash: cannot set terminal process group' -e '^bash: no job control'
echo
