# shellcheck shell=zsh
# awsrole: AWS credentials that follow the working directory.
# Load from ~/.zshrc with: eval "$(awsrole hook zsh)"

if [[ -o interactive ]]; then
	\builtin typeset -g _awsrole_bin=@AWSROLE_BIN@
	# What the binary sets for the fast path, never inherited values.
	\builtin unset _awsrole_pwd _awsrole_mark
	\builtin typeset -g _awsrole_recheck=0
	# Declared here, so that setting it in the hook is no warn_create_global.
	\builtin typeset -gi _awsrole_status=0
	\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

	# Runs before every prompt. It returns at once, with builtins only, while
	# the directory is the same, the generation marker the binary named
	# still exists and the clock is before the recheck time (0: none);
	# otherwise _awsrole_eval asks the binary. At a prompt the caches are
	# cold and each step costs microseconds, so the fast path is one [[ ]],
	# which no user option changes the meaning of (the times compare as
	# strings, which the engine makes ten digits like the clock's).
	_awsrole_hook() {
		_awsrole_status=$?
		if [[ ${PWD} == "${_awsrole_pwd-}" && -e ${_awsrole_mark-} &&
			(${_awsrole_recheck} == 0 || ${EPOCHSECONDS:-${_awsrole_recheck}} < ${_awsrole_recheck}) ]]; then
			# Not \builtin return, which costs this prompt as much again;
			# the backslash still keeps an alias named return out.
			\return _awsrole_status
		fi
		_awsrole_eval
		\builtin return _awsrole_status
	}

	# Asks the binary what changes here and applies it.
	_awsrole_eval() {
		# Local options and traps: the trap below is undone on return too.
		\builtin emulate -L zsh
		\builtin setopt no_aliases
		\builtin local _awsrole_code=''
		# Exported for 'awsrole doctor': this shell's prompts run the hook.
		[[ ${AWSROLE_HOOK-} == "zsh:$$" ]] || \builtin export AWSROLE_HOOK="zsh:$$"
		\builtin typeset -g _awsrole_pwd=${PWD}
		# Ctrl-C during an MFA prompt must cancel the binary, not the shell.
		\builtin trap -- '' INT
		_awsrole_code=$("${_awsrole_bin}" export --prompt zsh)
		\builtin trap -- - INT
		\builtin eval -- "${_awsrole_code}"
	}

	# First in precmd_functions, so prompt segments see the role; installed once.
	() {
		\builtin emulate -L zsh
		\builtin typeset -ga precmd_functions
		precmd_functions=(_awsrole_hook "${(@)precmd_functions:#_awsrole_hook}")
	}
fi
