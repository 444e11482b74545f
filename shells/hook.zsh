# shellcheck shell=zsh
# awsrole: AWS credentials that follow the working directory.
# Load from ~/.zshrc with: eval "$(awsrole hook zsh)"

if [[ -o interactive ]]; then
	\builtin typeset -g _awsrole_bin=@AWSROLE_BIN@
	# What the binary sets for the fast path, never inherited values; empty
	# (the binary runs at the first prompt) rather than unset, for no_unset.
	\builtin typeset -g _awsrole_pwd='' _awsrole_mark='' _awsrole_recheck=''
	\builtin zmodload -F zsh/datetime p:EPOCHSECONDS 2>/dev/null

	# Runs before every prompt. It returns at once, with builtins only, while
	# the directory is the same, the generation marker the binary named
	# still exists and the clock is before the recheck time; otherwise
	# _awsrole_eval asks the binary. At a prompt the caches are cold and each
	# step costs microseconds, so the fast path is one [[ ]], which no user
	# option changes the meaning of (the quotes keep glob_subst out; the times
	# compare as strings, which the engine makes ten digits like the clock's;
	# without zsh/datetime the clock reads as the recheck time, which asks
	# the binary). zsh puts $? back after each precmd function, so the prompt
	# and the hooks after this one see the user's status without this one
	# saving it, which would cost half the fast path.
	_awsrole_hook() {
		[[ $PWD == "$_awsrole_pwd" && -e "$_awsrole_mark" && ${EPOCHSECONDS:-$_awsrole_recheck} < $_awsrole_recheck ]] ||
			_awsrole_eval
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
