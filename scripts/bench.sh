#!/usr/bin/env bash
# bench.sh - the prompt-overhead benchmark: awsrole and direnv side by side in
# one run, in bash, zsh and fish, in three scenarios, with the harness
# shared/bench/hookbench.sh beside the repository. Writes BENCHMARKS.md.
# Run by `make bench` after `make build`. Knobs (environment):
#   HOOKBENCH   path of hookbench.sh (default: ../shared/bench/hookbench.sh)
#   BENCH_N     awsrole's prompts per run, unchanged prompt (default 2000)
#   BENCH_R     awsrole's repetitions, unchanged prompt (default 25)
#   BENCH_DN    direnv's prompts per run, unchanged prompt (default 300)
#   BENCH_DR    direnv's repetitions, unchanged prompt (default 5)
#   BENCH_NCD   prompts per run, cd, both tools (default 100)
#   BENCH_RCD   repetitions, cd, both tools (default 5)
#   BENCH_OUT   the report (default BENCHMARKS.md in the repository)
# awsrole's unchanged prompt gets more prompts and repetitions than direnv's:
# its overhead is tens of microseconds in a per-prompt noise of about as
# much, where direnv's milliseconds need few to be measured as well.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
die() {
	echo "bench: $*" >&2
	exit 1
}

harness=${HOOKBENCH:-${root}/../shared/bench/hookbench.sh}
[[ -r ${harness} ]] || die "the harness is missing: ${harness} (set HOOKBENCH=/path/to/hookbench.sh)"
harness=$(cd "$(dirname "${harness}")" && pwd)/$(basename "${harness}")
direnv_dir=$(dirname "${harness}")/direnv
for f in hook.bash hook.zsh hook.fish envrc.sh cd.sh; do
	[[ -r ${direnv_dir}/${f} ]] || die "the direnv scenarios are missing: ${direnv_dir}/${f}"
done
bin=${root}/bin
ours=${root}/bench/awsrole
for tool in "${bin}/awsrole" "${bin}/awsrole-sts" "${bin}/teststs"; do
	[[ -x ${tool} ]] || die "${tool} is missing; run 'make bench'"
done
for tool in bash zsh fish expect direnv go; do
	command -v "${tool}" >/dev/null || die "${tool} is not installed; run 'make bench'"
done

N=${BENCH_N:-2000}
R=${BENCH_R:-25}
DN=${BENCH_DN:-300}
DR=${BENCH_DR:-5}
NCD=${BENCH_NCD:-100}
RCD=${BENCH_RCD:-5}
out=${BENCH_OUT:-${root}/BENCHMARKS.md}
work=$(mktemp -d "${TMPDIR:-/tmp}/awsrole-bench.XXXXXX")
trap 'rm -rf "${work}"' EXIT

# An address for the test STS that the setups start and stop: the endpoint
# is part of the cache key, so the shells must see the same one.
"${bin}/teststs" -addr 127.0.0.1:0 -max-lifetime 10s >"${work}/probe.out" 2>/dev/null &
probe=$!
for _ in $(seq 100); do
	[[ -s ${work}/probe.out ]] && break
	sleep 0.05
done
sts_url=$(head -n1 "${work}/probe.out")
kill "${probe}"
wait "${probe}" 2>/dev/null || :
[[ ${sts_url} == http://127.0.0.1:* ]] || die "teststs did not start"

# run TOOL SHELL SCENARIO: one hookbench invocation; prints "median min max".
run() {
	local tool=$1 sh=$2 scenario=$3 reps=${R} n=${N} hook setup='' mode=static log
	local extra=()
	if [[ ${tool} == noop ]]; then
		hook=${root}/bench/noop/hook.${sh}
	elif [[ ${tool} == awsrole ]]; then
		hook=${ours}/hook.${sh}
		extra=(-e "AWSROLE_BENCH_BIN=${bin}" -e "AWS_ENDPOINT_URL_STS=${sts_url}")
		case ${scenario} in
		inside) setup=${ours}/project.sh ;;
		cd) setup=${ours}/cd.sh ;;
		esac
	else
		hook=${direnv_dir}/hook.${sh}
		n=${DN} reps=${DR}
		case ${scenario} in
		inside) setup=${direnv_dir}/envrc.sh ;;
		cd) setup=${direnv_dir}/cd.sh ;;
		esac
	fi
	[[ ${scenario} == cd ]] && mode=cd n=${NCD} reps=${RCD}
	log=${work}/${tool}-${sh}-${scenario}.log
	echo "bench: ${tool} ${sh} ${scenario} (N=${n}, R=${reps})" >&2
	"${harness}" -m "${mode}" -n "${n}" -r "${reps}" "${extra[@]}" "${sh}" "${hook}" ${setup:+"${setup}"} >"${log}" 2>&1 ||
		{
			cat "${log}" >&2
			die "hookbench failed: ${tool} ${sh} ${scenario}"
		}
	# "median: base B us  hook H us  overhead O us/prompt (min A, max Z) [...]"
	sed -n 's/^median: .* overhead \([-0-9.]*\) us\/prompt (min \([-0-9.]*\), max \([-0-9.]*\)).*/\1 \2 \3/p' "${log}" | tail -n1
}

scenarios=(outside inside cd)
declare -A title=(
	[outside]="unchanged prompt, outside any project"
	[inside]="unchanged prompt, inside an active project"
	[cd]="cd between two projects (cached)"
)
declare -A res
start=$(date +%s)
# CPU time the hypervisor gave to other guests (steal), over the whole run:
# on a shared VM, the other cause of a wide spread besides local load.
cpu_ticks() { awk '/^cpu / { t = 0; for (i = 2; i <= 9; i++) t += $i; print t, $9 }' /proc/stat; }
read -r ticks0 steal0 < <(cpu_ticks)
for scenario in "${scenarios[@]}"; do
	for sh in bash zsh fish; do
		# Side by side: one tool right after the other, alternating the order.
		for tool in awsrole direnv; do
			res[${tool}.${sh}.${scenario}]=$(run "${tool}" "${sh}" "${scenario}")
		done
	done
done
# The floor of the unchanged-prompt rows: a prompt function that does
# nothing, measured like awsrole's hook (the shell's own dispatch plus the
# harness's bias).
for sh in bash zsh fish; do
	res[noop.${sh}]=$(run noop "${sh}" outside)
done

# The binary's own cost when it runs: a cd from a/ into b/ with the
# credentials cached, as one whole process (fork, exec, Go start-up, answer),
# next to `direnv export bash` on a loaded .envrc and /bin/true.
proc=${work}/proc
mkdir -p "${proc}/a" "${proc}/b" "${proc}/home"
penv=(env -i PATH="${PATH}" HOME="${proc}/home" USER="${USER:-$(id -un)}" LANG=C.UTF-8
XDG_CONFIG_HOME="${proc}/home/.config" XDG_DATA_HOME="${proc}/home/.local/share"
XDG_CACHE_HOME="${proc}/home/.cache" XDG_STATE_HOME="${proc}/home/.local/state"
AWSROLE_BENCH_BIN="${bin}" AWS_ENDPOINT_URL_STS="${sts_url}")
(cd "${proc}" && "${penv[@]}" bash "${ours}/cd.sh") >"${work}/proc-setup.log" 2>&1 ||
	{
		cat "${work}/proc-setup.log" >&2
		die "setup for the whole-process figure failed"
	}
printf 'export HB_V1=one\nexport HB_V2=two\n' >"${proc}/b/.envrc"
(cd "${proc}" && "${penv[@]}" direnv allow b)
cat >"${work}/proc.sh" <<'PROC'
set -euo pipefail
n=$1
per() { # per COMMAND...: microseconds per run, n runs
	local t0 t1 i
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1; done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / n / 1000))
}
cd a && eval "$("${AWSROLE_BENCH_BIN}/awsrole" export bash 2>/dev/null)"
cd ../b
best() { # the best of five batches: the machine is shared
	local b=999999999 v i
	for i in 1 2 3 4 5; do
		v=$(per "$@")
		((v < b)) && b=${v}
		:
	done
	echo "${b}"
}
echo "true $(best /bin/true)"
echo "awsrole $(best "${AWSROLE_BENCH_BIN}/awsrole" export bash)"
echo "direnv $(best direnv export bash)"
PROC
(cd "${proc}" && "${penv[@]}" bash "${work}/proc.sh" 200) >"${work}/proc.out" 2>"${work}/proc.err" ||
	{
		cat "${work}/proc.err" >&2
		die "the whole-process measurement failed"
	}
declare -A proc_us
while read -r name us; do proc_us[${name}]=${us}; done <"${work}/proc.out"

echo "bench: go test -bench (Engine.Export with a cache hit)" >&2
gobench=$(cd "${root}" && go test -run '^$' -bench 'Export' -benchmem -count 1 ./hook/ 2>&1 | grep -E '^Benchmark') ||
	die "go test -bench failed"
elapsed=$(($(date +%s) - start))
read -r ticks1 steal1 < <(cpu_ticks)
steal=$(awk -v s=$((steal1 - steal0)) -v t=$((ticks1 - ticks0)) 'BEGIN { printf "%.1f", (t > 0 ? 100 * s / t : 0) }')

# --- the report ---
# ratio DIRENV AWSROLE: how many times below direnv; an overhead within the
# noise (< 1 us) counts as 1 us, so the ratio is then a lower bound.
ratio() { awk -v d="$1" -v a="$2" 'BEGIN { if (a < 1) a = 1; printf "%.0f", d / a }'; }
le() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x <= y) }'; }
ge() { awk -v x="$1" -v y="$2" 'BEGIN { exit !(x >= y) }'; }
fails=0
{
	echo "# Benchmarks"
	echo
	echo "Generated by \`make bench\` (scripts/bench.sh) on $(date -u '+%Y-%m-%d %H:%M UTC'); the run took ${elapsed} s."
	echo
	echo "Prompt overhead: what the hook adds to every prompt of a real interactive"
	echo "shell under a pty, in µs per prompt: (time with hook − time without) / N,"
	echo "median over R repetitions, with the spread (min–max) of those repetitions,"
	echo "measured by \`shared/bench/hookbench.sh\` for awsrole and direnv one right after"
	echo "the other. The ratio is direnv ÷ awsrole (an awsrole overhead within the noise,"
	echo "below 1 µs, counts as 1 µs, so the ratio is then a lower bound)."
	echo "awsrole's setup assumes both roles from a local test STS and stops it before"
	echo "the measured runs: every prompt is answered from the cache."
	echo
	echo "| scenario | shell | awsrole µs (min–max) | direnv µs (min–max) | ratio | target | |"
	echo "|---|---|---|---|---|---|---|"
	for scenario in "${scenarios[@]}"; do
		for sh in bash zsh fish; do
			read -r am alo ahi <<<"${res[awsrole.${sh}.${scenario}]}"
			read -r dm dlo dhi <<<"${res[direnv.${sh}.${scenario}]}"
			x=$(ratio "${dm}" "${am}")
			ok=pass
			case ${scenario}.${sh} in
			cd.*)
				target="≥ 5× below direnv"
				ge "${x}" 5 || ok=FAIL
				;;
			*.fish)
				target="≥ 10× below direnv"
				ge "${x}" 10 || ok=FAIL
				;;
			*)
				target="≤ 30 µs and ≥ 100× below direnv"
				{ le "${am}" 30 && ge "${x}" 100; } || ok=FAIL
				;;
			esac
			[[ ${ok} == pass ]] || fails=$((fails + 1))
			echo "| ${title[${scenario}]} | ${sh} | ${am} (${alo}–${ahi}) | ${dm} (${dlo}–${dhi}) | ${x}× | ${target} | ${ok} |"
		done
	done
	echo
	echo "For reading the unchanged-prompt rows: the same measurement of a prompt hook"
	echo "that does nothing (bench/noop/hook.SHELL: one empty function, installed like"
	echo "awsrole's), which is what any hook costs before it does anything, plus the"
	echo "harness's own bias. In zsh, every function call maps and unmaps a heap arena"
	echo "(bench/noop/hook.zsh says how to count it), which no zsh prompt hook avoids:"
	echo
	echo "| shell | no-op hook µs (min–max) |"
	echo "|---|---|"
	for sh in bash zsh fish; do
		read -r nm nlo nhi <<<"${res[noop.${sh}]}"
		echo "| ${sh} | ${nm} (${nlo}–${nhi}) |"
	done
	echo
	echo "## The binary itself"
	echo
	echo "When the hook does run the binary (a cd, a new generation, a refresh time),"
	echo "this is what one process costs, fork and exec included, best of five batches"
	echo "of 200 runs, from a shell inside project a/ running \`awsrole export bash\` in b/"
	echo "with b's credentials cached (so: restore a, admit b, cache hit, seal, encode):"
	echo
	echo "| process | µs per run |"
	echo "|---|---|"
	echo "| \`/bin/true\` (starting any process) | ${proc_us[true]} |"
	echo "| \`awsrole export bash\`, cache hit, switching projects | ${proc_us[awsrole]} |"
	echo "| \`direnv export bash\`, loading a 2-variable .envrc | ${proc_us[direnv]} |"
	echo
	echo "In process (\`go test -run '^\$' -bench Export -benchmem ./hook/\`, hook/bench_test.go):"
	echo
	echo '```'
	echo "${gobench}"
	echo '```'
	echo
	echo "## Machine and command"
	echo
	echo '```'
	echo "make bench    # = scripts/bench.sh after make build"
	echo "hookbench.sh -m static -n ${N} -r ${R} SHELL HOOK [SETUP]   # unchanged prompt, awsrole"
	echo "hookbench.sh -m static -n ${DN} -r ${DR} SHELL HOOK [SETUP]    # unchanged prompt, direnv"
	echo "hookbench.sh -m cd -n ${NCD} -r ${RCD} SHELL HOOK SETUP         # cd, both"
	echo "awsrole: bench/awsrole/hook.SHELL, setups bench/awsrole/{project,cd}.sh, -e AWSROLE_BENCH_BIN=bin -e AWS_ENDPOINT_URL_STS=..."
	echo "direnv:  shared/bench/direnv/hook.SHELL, setups shared/bench/direnv/{envrc,cd}.sh"
	echo "cpu:     $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	# Time in which some runnable task waited for a CPU: other load that
	# widens the spread of the microsecond rows.
	if [[ -r /proc/pressure/cpu ]]; then
		echo "cpu wait: $(awk '/^some/ {sub("avg300=", "", $4); print $4 "% over the last 5 minutes (/proc/pressure/cpu)"}' /proc/pressure/cpu)"
	fi
	echo "cpu steal: ${steal}% of the run's CPU time went to other guests (/proc/stat)"
	echo "kernel:  $(uname -sr)"
	echo "shells:  bash ${BASH_VERSION}, $(zsh --version | cut -d' ' -f1-2), $(fish --version 2>&1 | sed 's/, version / /')"
	echo "tools:   $(direnv version | sed 's/^/direnv /'), $(go version | cut -d' ' -f3), awsrole $("${bin}/awsrole" version | cut -d' ' -f2)"
	echo '```'
	echo
	echo "Absolute times depend on the machine and its load; the ratios, measured side"
	echo "by side in one run, are what the targets are about."
} >"${out}"
echo "bench: wrote ${out} (${fails} target(s) missed)" >&2
cat "${out}"
