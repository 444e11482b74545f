# The floor: a prompt hook that does nothing, installed the way awsrole's is.
function _noop_hook --on-event fish_prompt
end
