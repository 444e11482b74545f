# The floor: a prompt hook that does nothing, installed the way awsrole's is.
_noop_hook() { :; }
precmd_functions=(_noop_hook)
