# The floor: a prompt hook that does nothing, installed the way awsrole's is.
_noop_hook() { \return $?; }
precmd_functions=(_noop_hook)
