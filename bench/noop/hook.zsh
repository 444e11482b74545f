# The floor: a prompt hook that does nothing, installed the way awsrole's is.
# zsh has no prompt hook but a function, and every zsh 5.9 function call maps
# a fresh heap arena and unmaps it on return (one mmap, one munmap and four
# sigprocmask per call; count them with
#   strace -c zsh -fc 'f() { :; }; for i in {1..20000}; do f; done'
# ), which on a VM costs several microseconds before the hook does anything.
_noop_hook() { :; }
precmd_functions=(_noop_hook)
