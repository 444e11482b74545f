# shellcheck shell=bash
# The floor: a prompt hook that does nothing, installed the way awsrole's is.
_noop_hook() { :; }
PROMPT_COMMAND=(_noop_hook)
