# shellcheck shell=bash
# awsrole: AWS credentials that follow the working directory.
# Load from ~/.bashrc with: eval "$(awsrole hook bash)"

if [[ $- == *i* ]]; then
	\builtin declare -g _awsrole_bin=@AWSROLE_BIN@
	# What the binary sets for the fast path, never inherited values; empty
	# (the binary runs at the first prompt) rather than unset, for nounset.
	\builtin declare -g _awsrole_pwd='' _awsrole_mark='' _awsrole_recheck=''

	# Asks the binary what changes here and applies it. Ctrl-C during an MFA
	# prompt or an STS call must cancel the binary, not the shell, which
	# means ignoring SIGINT meanwhile; but saving the user's own trap first
	# costs a fork, a fifth of a cd. So the binary first answers from the
	# cache alone, and only when it would have to wait (status 3) does it
	# run again with SIGINT ignored. A Ctrl-C during the quick run leaves
	# _awsrole_pwd as it was: the next prompt asks again.
	_awsrole_eval() {
		\builtin local _awsrole_trap='' _awsrole_code='' _awsrole_rc=0
		# Exported for 'awsrole doctor': this shell's prompts run the hook.
		[[ ${AWSROLE_HOOK-} == "bash:$$" ]] || \builtin export AWSROLE_HOOK="bash:$$"
		_awsrole_code=$("${_awsrole_bin}" export --prompt --quick bash) || _awsrole_rc=$?
		_awsrole_pwd=${PWD}
		if [[ ${_awsrole_rc} == 3 ]]; then
			_awsrole_trap=$(\builtin trap -p SIGINT)
			\builtin trap -- '' SIGINT
			_awsrole_code=$("${_awsrole_bin}" export --prompt bash)
			\builtin eval -- "${_awsrole_trap:-\\builtin trap -- - SIGINT}"
		fi
		\builtin eval -- "${_awsrole_code}"
	}

	# _awsrole_hook runs before every prompt. It returns at once, with
	# builtins only, while the directory is the same, the generation marker
	# the binary named still exists and the clock is before the recheck time;
	# otherwise _awsrole_eval asks the binary. At a prompt the caches are cold
	# and each step costs microseconds, and bash copies a function's body at
	# every call, so the fast path is one [[ ]] in a small function: no
	# arithmetic, which costs tens (the times compare as strings, which the
	# engine makes ten digits like the clock's), no local variable, and no
	# ${...} where a plain $name does. It goes first in PROMPT_COMMAND, so that
	# prompt segments see the role, and once however often this is sourced.
	_awsrole_install() {
		\builtin local _awsrole_cmd=''
		\builtin local -a _awsrole_cmds
		_awsrole_cmds=(_awsrole_hook)
		if ((BASH_VERSINFO[0] > 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] >= 1))); then
			# bash 5.1+ runs each element of an array PROMPT_COMMAND as a
			# separate command string and puts back $? and PIPESTATUS after
			# each, so the prompt and the hooks after this one see the user's
			# status without the hook saving it: saving and returning it cost
			# a third of the fast path.
			_awsrole_hook() {
				# shellcheck disable=SC2071,SC2250 # string order and plain $name on purpose, as said above
				[[ $PWD == "$_awsrole_pwd" && -e $_awsrole_mark && ${EPOCHSECONDS:-$_awsrole_recheck} < $_awsrole_recheck ]] ||
					_awsrole_eval
			}
			for _awsrole_cmd in "${PROMPT_COMMAND[@]}"; do
				if [[ -n ${_awsrole_cmd} && ${_awsrole_cmd} != _awsrole_hook ]]; then
					_awsrole_cmds+=("${_awsrole_cmd}")
				fi
			done
			PROMPT_COMMAND=("${_awsrole_cmds[@]}")
		else
			# Before 5.1 PROMPT_COMMAND is one string, shared with the user's
			# hooks, so the hook saves the status; and bash before 5.0 has no
			# EPOCHSECONDS, so the clock then reads as the recheck time
			# itself, which asks the binary at every prompt inside a project
			# whose credentials expire.
			_awsrole_hook() {
				_awsrole_status=$?
				# shellcheck disable=SC2071,SC2250 # as above
				[[ $PWD == "$_awsrole_pwd" && -e $_awsrole_mark &&
					(${_awsrole_recheck} == 9999999999 || ${EPOCHSECONDS:-$_awsrole_recheck} < $_awsrole_recheck) ]] ||
					_awsrole_eval
				\return "${_awsrole_status}"
			}
			if [[ ${PROMPT_COMMAND-} != *_awsrole_hook* ]]; then
				# A newline separates safely.
				# shellcheck disable=SC2128,SC2178 # it is a string on this branch
				PROMPT_COMMAND="_awsrole_hook${PROMPT_COMMAND:+$'\n'${PROMPT_COMMAND}}"
			fi
		fi
	}
	_awsrole_install
	\builtin unset -f _awsrole_install
fi
