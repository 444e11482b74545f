# shellcheck shell=bash
# Scenario "cd between two projects": a/ and b/ each hold an allowed
# .awsrole.toml for a different role, both cached (use with -m cd).
# shellcheck source=bench/awsrole/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_sts
project a arn:aws:iam::222222222222:role/deploy
project b arn:aws:iam::333333333333:role/audit
stop_sts
cached a
cached b
