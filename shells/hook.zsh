# shellcheck shell=zsh
# awsrole: AWS credentials that follow the working directory.
# Load from ~/.zshrc with: eval "$(awsrole hook zsh)"

if [[ -o interactive ]]; then
	\builtin typeset -g _awsrole_bin=@AWSROLE_BIN@
	\builtin typeset -g _awsrole_genfile=@AWSROLE_GENFILE@
	\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

	# Runs before every prompt. When neither the directory, the generation
	# file nor the clock says anything could have changed, it returns using
	# builtins only; otherwise it asks the binary and evals the answer.
	_awsrole_hook() {
		\builtin local -i _awsrole_status=$?
		# Local options and traps: the trap below is undone on return too.
		\builtin emulate -L zsh
		\builtin setopt no_aliases
		\builtin local _awsrole_newgen='' _awsrole_now='' _awsrole_code=''
		# Exported for 'awsrole doctor': this shell's prompts run the hook.
		[[ ${AWSROLE_HOOK-} == "zsh:$$" ]] || \builtin export AWSROLE_HOOK="zsh:$$"
		# zsh reports a failed < even with 2> first; the group silences it.
		{ \builtin read -r _awsrole_newgen <"${_awsrole_genfile-}" } 2>/dev/null
		if [[ ${PWD} == "${_awsrole_pwd-}" && ${_awsrole_newgen} == "${_awsrole_gen-}" ]]; then
			if [[ ${_awsrole_recheck:-0} == 0 ]]; then
				\builtin return "${_awsrole_status}"
			fi
			_awsrole_now=${EPOCHSECONDS-}
			if [[ ${_awsrole_now} != <-> ]]; then
				_awsrole_now=${(%):-%D{%s}}
			fi
			# Validated first: arithmetic on an arbitrary string would run code.
			if [[ ${_awsrole_recheck} == <-> && ${_awsrole_now} == <-> ]] &&
				((_awsrole_now < _awsrole_recheck)); then
				\builtin return "${_awsrole_status}"
			fi
		fi
		\builtin typeset -g _awsrole_pwd=${PWD} _awsrole_gen=${_awsrole_newgen}
		# Ctrl-C during an MFA prompt must cancel the binary, not the shell.
		\builtin trap -- '' INT
		_awsrole_code=$("${_awsrole_bin}" export --prompt zsh)
		\builtin trap -- - INT
		\builtin eval -- "${_awsrole_code}"
		\builtin return "${_awsrole_status}"
	}

	# First in precmd_functions, so prompt segments see the role; installed once.
	() {
		\builtin emulate -L zsh
		\builtin typeset -ga precmd_functions
		precmd_functions=(_awsrole_hook "${(@)precmd_functions:#_awsrole_hook}")
	}
fi
