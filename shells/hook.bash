# shellcheck shell=bash
# awsrole: AWS credentials that follow the working directory.
# Load from ~/.bashrc with: eval "$(awsrole hook bash)"

if [[ $- == *i* ]]; then
	\builtin declare -g _awsrole_bin=@AWSROLE_BIN@
	\builtin declare -g _awsrole_genfile=@AWSROLE_GENFILE@

	# Runs before every prompt. When neither the directory, the generation
	# file nor the clock says anything could have changed, it returns using
	# builtins only; otherwise it asks the binary and evals the answer.
	_awsrole_hook() {
		\builtin local -r _awsrole_status=$?
		\builtin local _awsrole_newgen='' _awsrole_now='' _awsrole_trap='' _awsrole_code=''
		# Exported for 'awsrole doctor': this shell's prompts run the hook.
		[[ ${AWSROLE_HOOK-} == "bash:$$" ]] || \builtin export AWSROLE_HOOK="bash:$$"
		# 2> comes first so that a missing file fails silently.
		\builtin read -r _awsrole_newgen 2>/dev/null <"${_awsrole_genfile-}" || :
		if [[ ${PWD} == "${_awsrole_pwd-}" && ${_awsrole_newgen} == "${_awsrole_gen-}" ]]; then
			if [[ ${_awsrole_recheck:-0} == 0 ]]; then
				\builtin return "${_awsrole_status}"
			fi
			_awsrole_now=${EPOCHSECONDS-}
			# Digits only, by glob: =~ with {1,18} recompiles a regex costing
			# ~0.1 ms on every prompt.
			if [[ -z ${_awsrole_now} || ${_awsrole_now} == *[!0-9]* || ${#_awsrole_now} -gt 18 ]]; then
				\builtin printf -v _awsrole_now '%(%s)T' -1
			fi
			# Validated first: arithmetic on an arbitrary string would run code.
			if [[ -n ${_awsrole_recheck} && ${_awsrole_recheck} != *[!0-9]* && ${#_awsrole_recheck} -le 18 &&
				-n ${_awsrole_now} && ${_awsrole_now} != *[!0-9]* && ${#_awsrole_now} -le 18 ]] &&
				((10#${_awsrole_now} < 10#${_awsrole_recheck})); then
				\builtin return "${_awsrole_status}"
			fi
		fi
		_awsrole_pwd=${PWD}
		_awsrole_gen=${_awsrole_newgen}
		# Ctrl-C during an MFA prompt must cancel the binary, not the shell.
		_awsrole_trap=$(\builtin trap -p SIGINT)
		\builtin trap -- '' SIGINT
		_awsrole_code=$("${_awsrole_bin}" export --prompt bash)
		\builtin eval -- "${_awsrole_trap:-\\builtin trap -- - SIGINT}"
		\builtin eval -- "${_awsrole_code}"
		\builtin return "${_awsrole_status}"
	}

	_awsrole_install() {
		\builtin local _awsrole_cmd=''
		\builtin local -a _awsrole_cmds
		_awsrole_cmds=(_awsrole_hook)
		if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
			# bash 5.1+ runs each element of an array PROMPT_COMMAND in order.
			for _awsrole_cmd in "${PROMPT_COMMAND[@]}"; do
				if [[ -n ${_awsrole_cmd} && ${_awsrole_cmd} != _awsrole_hook ]]; then
					_awsrole_cmds+=("${_awsrole_cmd}")
				fi
			done
			PROMPT_COMMAND=("${_awsrole_cmds[@]}")
		elif [[ ${PROMPT_COMMAND-} != *_awsrole_hook* ]]; then
			# Before 5.1 PROMPT_COMMAND is one string; a newline separates safely.
			# shellcheck disable=SC2128,SC2178 # it is a string on this branch
			PROMPT_COMMAND="_awsrole_hook${PROMPT_COMMAND:+$'\n'${PROMPT_COMMAND}}"
		fi
	}
	_awsrole_install
	\builtin unset -f _awsrole_install
fi
