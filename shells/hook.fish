# awsrole: AWS credentials that follow the working directory.
# Load from ~/.config/fish/config.fish with: awsrole hook fish | source

if status is-interactive
    set -g _awsrole_bin @AWSROLE_BIN@
    # What the binary sets for the fast path, never inherited values; empty
    # until the binary runs at the first prompt.
    set -g _awsrole_pwd
    set -g _awsrole_mark
    set -g _awsrole_recheck

    # Runs on the fish_prompt event only: fish runs completions and user
    # functions that cd in-process, so a PWD watcher could fire (and ask for
    # MFA) away from the prompt. Redefining the function replaces the handler,
    # so sourcing this twice still installs it once.
    #
    # It returns at once, with builtins only, while the directory is the
    # same, the generation marker the binary named still exists and the clock
    # is before the recheck time (9999999999: none); otherwise _awsrole_eval
    # asks the binary. fish puts $status back after event handlers, so the
    # prompt sees the user's status without this one saving it.
    function _awsrole_hook --on-event fish_prompt
        if test "$PWD" = "$_awsrole_pwd"
            # With a recheck time, the clock too. fish has no clock, but the
            # marker's mtime is the epoch, so its age is the time: one
            # builtin, which also fails once the marker is gone. An age
            # before 2001 means something touched the marker.
            if test "$_awsrole_recheck" = 9999999999
                test -e "$_awsrole_mark"
                and return
            else if set -l _awsrole_now (path mtime --relative -- "$_awsrole_mark")
                and test "$_awsrole_now" -gt 1000000000 -a "$_awsrole_now" -lt "$_awsrole_recheck"
                return
            end
        end
        _awsrole_eval
    end

    # Asks the binary what changes here and applies it.
    function _awsrole_eval
        # Exported for 'awsrole doctor': this shell's prompts run the hook.
        test "$AWSROLE_HOOK" = "fish:$fish_pid"
        or set -gx AWSROLE_HOOK "fish:$fish_pid"
        set -g _awsrole_pwd $PWD
        # An observed SIGINT does not cancel fish: Ctrl-C reaches only the binary.
        function _awsrole_sigint --on-signal SIGINT
        end
        command $_awsrole_bin export --prompt fish | source
        functions --erase _awsrole_sigint
    end
end
