# awsrole: AWS credentials that follow the working directory.
# Load from ~/.config/fish/config.fish with: awsrole hook fish | source

if status is-interactive
    set -g _awsrole_bin @AWSROLE_BIN@
    set -g _awsrole_genfile @AWSROLE_GENFILE@

    # Runs on the fish_prompt event only: fish runs completions and user
    # functions that cd in-process, so a PWD watcher could fire (and ask for
    # MFA) away from the prompt. Redefining the function replaces the handler,
    # so sourcing this twice still installs it once.
    function _awsrole_hook --on-event fish_prompt
        set -l _awsrole_status $status
        set -l _awsrole_newgen ''
        # Exported for 'awsrole doctor': this shell's prompts run the hook.
        test "$AWSROLE_HOOK" = "fish:$fish_pid"
        or set -gx AWSROLE_HOOK "fish:$fish_pid"
        # A failed < always warns in fish, so look before reading.
        if path is -rf -- "$_awsrole_genfile"
            read -- _awsrole_newgen <"$_awsrole_genfile"
        end
        if test "$PWD" = "$_awsrole_pwd" -a "$_awsrole_newgen" = "$_awsrole_gen"
            if test "$_awsrole_recheck" = 0
                return $_awsrole_status
            end
            # fish has no clock variable; path mtime gives one without a fork:
            # now = mtime(/) + (now - mtime(/)).
            if string match -qr '^[0-9]{1,18}$' -- "$_awsrole_recheck"
                and test (math (path mtime /) + (path mtime --relative /)) -lt "$_awsrole_recheck"
                return $_awsrole_status
            end
        end
        set -g _awsrole_pwd $PWD
        set -g _awsrole_gen $_awsrole_newgen
        # An observed SIGINT does not cancel fish: Ctrl-C reaches only the binary.
        function _awsrole_sigint --on-signal SIGINT
        end
        command $_awsrole_bin export --prompt fish | source
        functions --erase _awsrole_sigint
        return $_awsrole_status
    end
end
