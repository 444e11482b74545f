# shellcheck shell=bash
# Scenario "inside an active project": a/ holds an allowed .awsrole.toml
# whose credentials are cached.
# shellcheck source=bench/awsrole/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
start_sts
project a arn:aws:iam::222222222222:role/deploy
stop_sts
cached a
